import type { DockerState, ImageState } from '../../../server/contract/index.js';
import { Icon } from './icons.js';

/**
 * Engine and image banners: Docker unreachable (with how to fix it) and the workspace image build (with a
 * progress bar), or a failed build. Pure.
 */
export function SystemBanners({ docker, image }: { docker: DockerState | null; image: ImageState | null }) {
  return (
    <div className="banners">
      {docker && !docker.available ? (
        <section className="banner banner--error" role="alert" data-testid="docker-banner">
          <Icon name="alert" size={20} />
          <div className="banner__content">
            <h2 className="banner__title">Docker is not running</h2>
            <p>
              Workspaces cannot be created or started until the Docker engine is reachable. Start <strong>Docker Desktop</strong> (Windows,
              macOS), or on Linux run <code>sudo systemctl start docker</code>. This page notices by itself when Docker is back.
            </p>
            {docker.error ? <p className="banner__detail">Details: {docker.error}</p> : null}
          </div>
        </section>
      ) : null}
      {image && image.state === 'building' ? (
        <section className="banner banner--info" role="status" aria-live="polite" data-testid="image-banner">
          <Icon name="box" size={20} />
          <div className="banner__content">
            <h2 className="banner__title">Preparing the workspace image ({Math.round(image.progress * 100)} %)</h2>
            <p>
              This happens once, on the first start, and takes a few minutes. You can already look around; new workspaces start when it is
              done.
            </p>
            <div
              className="progress"
              role="progressbar"
              aria-label="Workspace image build"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(image.progress * 100)}
              data-testid="image-progress"
            >
              <div className="progress__bar" style={{ width: `${Math.max(2, image.progress * 100)}%` }} />
            </div>
            {image.message ? <p className="banner__detail" data-testid="image-message">{image.message}</p> : null}
          </div>
        </section>
      ) : null}
      {image && image.state === 'error' ? (
        <section className="banner banner--error" role="alert" data-testid="image-banner">
          <Icon name="alert" size={20} />
          <div className="banner__content">
            <h2 className="banner__title">The workspace image could not be built</h2>
            <p>New workspaces cannot start until the image <code>{image.tag}</code> exists. Restart the app to try again.</p>
            {image.message ? <p className="banner__detail" data-testid="image-message">{image.message}</p> : null}
          </div>
        </section>
      ) : null}
    </div>
  );
}
