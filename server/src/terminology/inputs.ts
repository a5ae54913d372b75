// A terminology operation's input, GET or POST: query parameters (Codings written system|code) and,
// for a POST, a Parameters body whose parameters may also be Codings, CodeableConcepts or resources.
import type { CodeableConcept, Coding, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { badRequest } from '../fhir/outcome.js';

export class OperationInputs {
  private readonly query: URLSearchParams;
  private readonly body: ParametersParameter[];

  constructor(ctx: FhirContext, readonly operation: string) {
    this.query = new URLSearchParams(ctx.querystring);
    const body = ctx.state.body as Parameters | undefined;
    if (ctx.method === 'POST' && body !== undefined) {
      if (!body || body.resourceType !== 'Parameters') throw badRequest(`POST ${operation} takes a Parameters resource`);
      this.body = Array.isArray(body.parameter) ? body.parameter : [];
    } else {
      this.body = [];
    }
  }

  /** A primitive parameter (the last one given), as text. */
  string(name: string): string | undefined {
    const all = this.strings(name);
    if (all.length > 1) throw badRequest(`${this.operation} takes one "${name}" parameter`);
    return all[0];
  }

  strings(name: string): string[] {
    const fromBody = this.body
      .filter((p) => p.name === name)
      .map((p) => {
        const value = Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
        if (!['string', 'number', 'boolean'].includes(typeof value)) throw badRequest(`${this.operation} parameter "${name}" needs a primitive value`);
        return String(value);
      });
    return [...this.query.getAll(name), ...fromBody];
  }

  boolean(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw badRequest(`${this.operation} parameter "${name}" must be true or false, got "${v}"`);
    return v === 'true';
  }

  integer(name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,9}$/.test(v) || Number(v) > max) throw badRequest(`${this.operation} parameter "${name}" must be a whole number from 0 to ${max}, got "${v}"`);
    return Number(v);
  }

  /** A Coding: valueCoding in a body, or system|code in the query. */
  coding(name: string): Coding | undefined {
    const part = this.body.find((p) => p.name === name);
    if (part) {
      if (!part.valueCoding) throw badRequest(`${this.operation} parameter "${name}" must be a Coding (valueCoding)`);
      return part.valueCoding;
    }
    const text = this.query.get(name);
    if (text === null) return undefined;
    const bar = text.lastIndexOf('|');
    return bar < 0 ? { code: text } : { system: text.slice(0, bar) || undefined, code: text.slice(bar + 1) };
  }

  codeableConcept(name: string): CodeableConcept | undefined {
    const part = this.body.find((p) => p.name === name);
    if (part && !part.valueCodeableConcept) throw badRequest(`${this.operation} parameter "${name}" must be a CodeableConcept (valueCodeableConcept)`);
    if (this.query.has(name)) throw badRequest(`${this.operation} parameter "${name}" can only be sent in a POSTed Parameters body`);
    return part?.valueCodeableConcept;
  }

  resource<T extends Resource>(name: string, type: T['resourceType']): T | undefined {
    const part = this.body.find((p) => p.name === name);
    if (!part) return undefined;
    if (part.resource?.resourceType !== type) throw badRequest(`${this.operation} parameter "${name}" must be a ${type} resource`);
    return part.resource as T;
  }
}
