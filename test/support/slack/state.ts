export * from '../../../src/workspace/standin/state.js';
