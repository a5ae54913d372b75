// order-select: checks the draft MedicationRequests the clinician has just selected (context.selections)
// against the active orders, the other drafts, allergies, age and weight, and renal function.
import type { CdsService } from '../types.js';
import { MEDICATION_PREFETCH, runMedicationRules } from './medication-rules.js';

export const orderSelectService: CdsService = {
  id: 'order-select',
  hook: 'order-select',
  title: 'Medication checks on selection',
  description:
    'Checks the selected draft MedicationRequests (RxNorm) for drug-drug interactions, duplicate therapy, drug allergy and class cross-sensitivity, dose range for age and weight, and renal dosing from the latest eGFR or creatinine. Rules: Meridian medication rules (server/src/cds/rules).',
  prefetch: MEDICATION_PREFETCH,
  usageRequirements: 'Draft orders must code the drug with RxNorm (an SCD for dose checks in tablets or capsules).',
  async run(input) {
    const selections = new Set(Array.isArray(input.request.context.selections) ? (input.request.context.selections as unknown[]).filter((s): s is string => typeof s === 'string') : []);
    return runMedicationRules(input, (draft) => !!draft.id && selections.has(`MedicationRequest/${draft.id}`));
  },
};
