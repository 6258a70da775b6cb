import { Icon } from './icons.js';

/** First-run guidance when there is no workspace yet. Pure. */
export function EmptyState({ onCreate, dockerAvailable }: { onCreate: () => void; dockerAvailable: boolean }) {
  return (
    <section className="empty-state" data-testid="empty-state" aria-labelledby="empty-state-title">
      <div className="empty-state__icon" aria-hidden="true">
        <Icon name="box" size={36} />
      </div>
      <h2 id="empty-state-title">No workspaces yet</h2>
      <p>
        A workspace is a complete VS Code in the browser, running in its own container on this machine. Create one to try it yourself, then
        make one per participant for your workshop.
      </p>
      <ol className="empty-state__steps">
        <li>Click <strong>New workspace</strong> and pick a template.</li>
        <li>Wait until its status says <strong>Running</strong> (a few seconds).</li>
        <li>Click <strong>Open</strong>: VS Code opens in a new browser tab.</li>
      </ol>
      {!dockerAvailable ? <p className="empty-state__warning">Docker must be running first (see the message above).</p> : null}
      <button type="button" className="button button--primary" onClick={onCreate} data-testid="empty-state-create">
        <Icon name="plus" /> New workspace
      </button>
    </section>
  );
}
