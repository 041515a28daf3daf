import { defineMatrix } from './matrix.js';

defineMatrix(17);
