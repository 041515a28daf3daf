import { defineMatrix } from './matrix.js';

defineMatrix(18);
