export * from '../../../src/workspace/standin/methods.js';
