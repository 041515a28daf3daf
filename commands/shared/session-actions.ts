import type { SuggestedAction } from '../../src/report/model.js';

/** A backend as the buttons pin it: the pid, and its backend_start so a reused pid is refused. */
interface Backend {
  pid: number;
  backendStart: string;
}

const params = (s: Backend) => ({ pid: String(s.pid), backendStart: s.backendStart });

/** The terminate button (locks' root blockers, connections' sessions). */
export const terminateAction = (s: Backend): SuggestedAction => ({
  action: 'terminate',
  label: `Terminate ${s.pid}`,
  params: params(s),
  style: 'danger',
});

/** The cancel button: stops the running query, keeps the session. */
export const cancelAction = (s: Backend): SuggestedAction => ({
  action: 'cancel',
  label: `Cancel query of ${s.pid}`,
  params: params(s),
});
