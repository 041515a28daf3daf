export * from '../../../src/workspace/standin/requests.js';
