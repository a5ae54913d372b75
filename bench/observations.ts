// Deterministic vital-sign Observations, shaped like what a bedside monitor POSTs: LOINC code,
// UCUM quantity, vital-signs category, device identifier, reference range, interpretation.
// Same seed -> same resources, so Meridian and the raw baseline store identical JSON.

/** mulberry32: tiny, fast, good enough to vary test data; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

interface Measure {
  code: string;
  display: string;
  unit: string;
  ucum: string;
  low: number;
  high: number;
  /** Range the generator draws from (a bit wider than normal, so some values are abnormal). */
  min: number;
  max: number;
  decimals: number;
}

const HEART_RATE: Measure = { code: '8867-4', display: 'Heart rate', unit: 'beats/minute', ucum: '/min', low: 60, high: 100, min: 48, max: 125, decimals: 0 };
const RESP_RATE: Measure = { code: '9279-1', display: 'Respiratory rate', unit: 'breaths/minute', ucum: '/min', low: 12, high: 20, min: 9, max: 26, decimals: 0 };
const SPO2: Measure = { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry', unit: '%', ucum: '%', low: 95, high: 100, min: 88, max: 100, decimals: 0 };
const TEMPERATURE: Measure = { code: '8310-5', display: 'Body temperature', unit: '°C', ucum: 'Cel', low: 36.1, high: 37.5, min: 35.6, max: 39.4, decimals: 1 };
const SYSTOLIC: Measure = { code: '8480-6', display: 'Systolic blood pressure', unit: 'mmHg', ucum: 'mm[Hg]', low: 90, high: 130, min: 85, max: 170, decimals: 0 };
const DIASTOLIC: Measure = { code: '8462-4', display: 'Diastolic blood pressure', unit: 'mmHg', ucum: 'mm[Hg]', low: 60, high: 85, min: 50, max: 105, decimals: 0 };

const quantity = (m: Measure, value: number) => ({ value, unit: m.unit, system: UCUM, code: m.ucum });

function interpretation(m: Measure, value: number) {
  const [code, display] = value < m.low ? ['L', 'Low'] : value > m.high ? ['H', 'High'] : ['N', 'Normal'];
  return [{ coding: [{ system: INTERPRETATION, code, display }], text: display }];
}

const referenceRange = (m: Measure) => [{ low: quantity(m, m.low), high: quantity(m, m.high), text: 'Adult normal range' }];

export interface ObservationWindow {
  /** First instant an effectiveDateTime may have (UTC). */
  start: number;
  /** Days the effectiveDateTimes spread over from start. */
  days: number;
}

/** 2024, the window of the create/read phases. */
const YEAR_2024: ObservationWindow = { start: Date.UTC(2024, 0, 1), days: 365 };

/**
 * A generator of Observations for the given patients (ids as the server assigned them). Called with
 * a subject id, the Observation is about that patient; without, about a random one of patientIds.
 */
export function observationGenerator(seed: number, patientIds: string[], window: ObservationWindow = YEAR_2024): (subjectId?: string) => Record<string, unknown> {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const draw = (m: Measure) => Number((m.min + random() * (m.max - m.min)).toFixed(m.decimals));
  const { start, days } = window;
  let sequence = 0;

  return (subjectId?: string) => {
    sequence += 1;
    const monitor = 1 + Math.floor(random() * 40);
    const effective = new Date(start + Math.floor(random() * days * 24 * 3600) * 1000);
    const issued = new Date(effective.getTime() + 1000 + Math.floor(random() * 4000));
    const common = {
      resourceType: 'Observation',
      identifier: [{ use: 'official', system: 'https://bench.meridian.example.org/monitor-reading', value: `mon-${monitor}-${seed}-${sequence}` }],
      status: 'final',
      category: [
        {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }],
          text: 'Vital Signs',
        },
      ],
    };
    const context = {
      subject: { reference: `Patient/${subjectId ?? pick(patientIds)}` },
      effectiveDateTime: effective.toISOString().replace('.000Z', 'Z'),
      issued: issued.toISOString(),
      device: { display: `Bedside monitor ${monitor}`, identifier: { system: 'https://bench.meridian.example.org/device', value: `BM-${monitor}` } },
    };

    const kind = random();
    if (kind < 0.25) {
      // Blood pressure panel: no value of its own, one component per pressure.
      const components = [SYSTOLIC, DIASTOLIC].map((m) => {
        const value = draw(m);
        return {
          code: { coding: [{ system: LOINC, code: m.code, display: m.display }], text: m.display },
          valueQuantity: quantity(m, value),
          interpretation: interpretation(m, value),
        };
      });
      return {
        ...common,
        code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel with all children optional' }], text: 'Blood pressure' },
        ...context,
        component: components,
      };
    }
    const m = kind < 0.6 ? HEART_RATE : kind < 0.8 ? SPO2 : kind < 0.9 ? RESP_RATE : TEMPERATURE;
    const value = draw(m);
    const coding = [{ system: LOINC, code: m.code, display: m.display }];
    if (m === SPO2) coding.push({ system: LOINC, code: '2708-6', display: 'Oxygen saturation in Arterial blood' });
    return {
      ...common,
      code: { coding, text: m.display },
      ...context,
      valueQuantity: quantity(m, value),
      interpretation: interpretation(m, value),
      referenceRange: referenceRange(m),
      note: [{ text: `Automatic reading, monitor ${monitor}, signal quality ${pick(['good', 'fair', 'good', 'excellent'])}` }],
    };
  };
}

/** A synthetic Patient for subject references (no real person's data). */
export function benchPatient(n: number): Record<string, unknown> {
  const given = ['Ada', 'Bo', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana'][n % 8];
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'https://bench.meridian.example.org/mrn', value: `BENCH-${String(n).padStart(5, '0')}` }],
    active: true,
    name: [{ family: `Benchmark${n}`, given: [given] }],
    gender: ['female', 'male', 'other', 'unknown'][n % 4],
    birthDate: `19${40 + (n % 60)}-0${1 + (n % 9)}-1${n % 10}`,
  };
}
