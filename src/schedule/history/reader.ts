/** The query history for the surfaces that run commands (Slack may not import src/state itself). */
export { stateHistory } from '../../state/history-reader.js';
