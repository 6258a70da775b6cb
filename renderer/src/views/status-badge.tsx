import type { ProjectStatus } from '../../../server/contract/index.js';
import { STATUS_LABEL } from './labels.js';

/** Coloured status pill; `creating` shows a small spinner. */
export function StatusBadge({ status, testId }: { status: ProjectStatus; testId?: string }) {
  return (
    <span className={`status-badge status-badge--${status}`} data-testid={testId} data-status={status}>
      {status === 'creating' ? <span className="spinner spinner--small" aria-hidden="true" /> : <span className="status-badge__dot" aria-hidden="true" />}
      {STATUS_LABEL[status]}
    </span>
  );
}
