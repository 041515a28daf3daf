import { defineMatrix } from './matrix.js';

defineMatrix(15);
