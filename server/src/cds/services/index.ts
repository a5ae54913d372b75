// The CDS services Meridian offers, in discovery order. Each module is one service: its description
// (hook, prefetch templates) and its rules, which read the data files of ../rules/.
import type { CdsService } from '../types.js';

export const SERVICES: CdsService[] = [];
