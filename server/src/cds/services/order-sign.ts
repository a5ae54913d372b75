// order-sign: checks every draft MedicationRequest about to be signed against the active orders, the other
// drafts, allergies, age and weight, and renal function.
import type { CdsService } from '../types.js';
import { MEDICATION_PREFETCH, runMedicationRules } from './medication-rules.js';

export const orderSignService: CdsService = {
  id: 'order-sign',
  hook: 'order-sign',
  title: 'Medication checks before signing',
  description:
    'Checks every draft MedicationRequest (RxNorm) for drug-drug interactions, duplicate therapy, drug allergy and class cross-sensitivity, dose range for age and weight, and renal dosing from the latest eGFR or creatinine. Rules: Meridian medication rules (server/src/cds/rules).',
  prefetch: MEDICATION_PREFETCH,
  usageRequirements: 'Draft orders must code the drug with RxNorm (an SCD for dose checks in tablets or capsules).',
  async run(input) {
    return runMedicationRules(input, () => true);
  },
};
