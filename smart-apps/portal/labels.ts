// Plain-language names of the laboratory tests Meridian's records hold (LOINC), and what a result's
// interpretation means in words. Written for patients; the LOINC display stays available as detail.
// No DOM: the browser test reads it too.

export const PLAIN_LAB_NAMES: Record<string, string> = {
  '4548-4': 'Blood sugar (HbA1c)',
  '2339-0': 'Blood sugar (glucose)',
  '3094-0': 'Kidney waste product (urea nitrogen)',
  '2160-0': 'Kidney function (creatinine)',
  '62238-1': 'Kidney filtering rate (eGFR)',
  '98979-8': 'Kidney filtering rate (eGFR)',
  '2951-2': 'Salt balance (sodium)',
  '2823-3': 'Potassium',
  '2093-3': 'Total cholesterol',
  '13457-7': '"Bad" cholesterol (LDL)',
  '18262-6': '"Bad" cholesterol (LDL)',
  '2085-9': '"Good" cholesterol (HDL)',
  '2571-8': 'Blood fats (triglycerides)',
  '718-7': 'Oxygen-carrying protein (hemoglobin)',
  '6690-2': 'White blood cells (fight infection)',
  '777-3': 'Platelets (help blood clot)',
  '3016-3': 'Thyroid (TSH)',
  '6301-6': 'Blood clotting time (INR)',
  '14959-1': 'Protein in urine (albumin)',
  '9318-7': 'Protein in urine (albumin)',
};

/** HL7 v3 ObservationInterpretation codes in words, and how serious each is for the badge. */
export const INTERPRETATION_WORDS: Record<string, { words: string; tone: 'success' | 'warning' | 'critical' | 'info' }> = {
  N: { words: 'Normal', tone: 'success' },
  H: { words: 'High', tone: 'warning' },
  L: { words: 'Low', tone: 'warning' },
  HH: { words: 'Very high', tone: 'critical' },
  LL: { words: 'Very low', tone: 'critical' },
  A: { words: 'Outside the usual range', tone: 'warning' },
  AA: { words: 'Far outside the usual range', tone: 'critical' },
};

/** The patient's name for a LOINC code, or undefined when none is written. */
export const plainLabName = (loinc?: string) => (loinc ? PLAIN_LAB_NAMES[loinc] : undefined);

/** Normal/High/Low from the interpretation code, else from the reference range. */
export function interpretationWords(code: string | undefined, value: number | undefined, range?: { low?: number; high?: number }) {
  if (code && INTERPRETATION_WORDS[code]) return INTERPRETATION_WORDS[code];
  if (value === undefined || !range) return undefined;
  if (range.high !== undefined && value > range.high) return INTERPRETATION_WORDS.H;
  if (range.low !== undefined && value < range.low) return INTERPRETATION_WORDS.L;
  return INTERPRETATION_WORDS.N;
}
