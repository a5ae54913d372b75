// The CDS services Meridian offers, in discovery order. Each module is one service: its description
// (hook, prefetch templates) and its rules, which read the data files of ../rules/.
import type { CdsService } from '../types.js';
import { appointmentBook } from './appointment-book.js';
import { ENCOUNTER_DISCHARGE_SERVICE } from './encounter-discharge.js';
import { orderSelectService } from './order-select.js';
import { orderSignService } from './order-sign.js';
import { PATIENT_VIEW_SERVICE } from './patient-view.js';

export const SERVICES: CdsService[] = [appointmentBook, PATIENT_VIEW_SERVICE, ENCOUNTER_DISCHARGE_SERVICE, orderSelectService, orderSignService];
