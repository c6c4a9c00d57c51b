import { readEvidence, type EvidenceField, type EvidenceInput, type IdentityEvidence } from '../domain/identity.js';
import { CYBER_TIERS, EFS_FEATURES, type CyberTier, type EfsFeature } from '../domain/programs.js';
import { formValue, formValues, type FormFields } from '../pages/forms.js';

export const PORTAL_FORMS = ['identity_check', 'cyber', 'efs', 'billing'] as const;
export type PortalForm = (typeof PORTAL_FORMS)[number];

export type Submission =
  | { form: 'cyber'; tiers: CyberTier[] }
  | { form: 'efs'; features: EfsFeature[] }
  /** kept with the check, sealed, for the reviewer (src/store/identity-checks.ts) */
  | { form: 'identity_check'; evidence: IdentityEvidence }
  /** whether the end customer lets the platform bill them for requests made for this profile */
  | { form: 'billing'; authorized: boolean };

/** Why a submission was refused, for the form it came from (null when the form itself is unknown). */
export interface Refusal {
  refused: true;
  form: PortalForm | null;
  /** the form's problem, when it is not about one field */
  message: string | null;
  /** one problem per field of the identity check */
  fields?: Partial<Record<EvidenceField | 'confirm', string>>;
  /** the choices the person made, so the re-shown form keeps them */
  chosen: string[];
  /** what the person typed into the identity check, shown again */
  entered?: EvidenceInput;
}

const refuse = (form: PortalForm | null, message: string, chosen: string[] = []): Refusal => ({ refused: true, form, message, chosen });

/** Choices from a fixed list, in the list's order; anything outside it refuses the whole submission. */
function readChoices<T extends string>(
  form: PortalForm,
  given: string[],
  allowed: readonly T[],
  noun: string,
): T[] | Refusal {
  const chosen = given.filter((value): value is T => (allowed as readonly string[]).includes(value));
  if (chosen.length !== given.length) return refuse(form, `Choose ${noun}s from the list shown.`, chosen);
  if (chosen.length === 0) return refuse(form, `Choose at least one ${noun}.`);
  return allowed.filter((value) => chosen.includes(value));
}

const EVIDENCE_FIELDS: readonly EvidenceField[] = ['legal_name', 'date_of_birth', 'country', 'document_type', 'document_number'];

/** Reads a posted portal form (the CSRF token is checked before this). `today` is the server's UTC date. */
export function readSubmission(fields: FormFields, today: string): Submission | Refusal {
  const form = formValue(fields, 'form');
  if (formValues(fields, 'form').length !== 1 || !(PORTAL_FORMS as readonly string[]).includes(form!)) {
    return refuse(null, 'This form is not one the portal knows. Reload the page and try again.');
  }
  switch (form as PortalForm) {
    case 'cyber': {
      const tiers = readChoices('cyber', formValues(fields, 'tier'), CYBER_TIERS, 'tier');
      return 'refused' in tiers ? tiers : { form: 'cyber', tiers };
    }
    case 'efs': {
      const features = readChoices('efs', formValues(fields, 'feature'), EFS_FEATURES, 'feature');
      return 'refused' in features ? features : { form: 'efs', features };
    }
    case 'billing': {
      const authorize = formValues(fields, 'authorize');
      if (authorize.length !== 1 || (authorize[0] !== 'yes' && authorize[0] !== 'no')) return refuse('billing', 'Choose whether to allow billing.');
      if (authorize[0] === 'yes' && formValue(fields, 'confirm') !== 'yes') return refuse('billing', 'Tick the box to confirm that you allow it.');
      return { form: 'billing', authorized: authorize[0] === 'yes' };
    }
    case 'identity_check': {
      // a field sent twice is not a value we can trust: treat it as missing
      const entered: EvidenceInput = Object.fromEntries(
        EVIDENCE_FIELDS.map((name) => [name, formValues(fields, name).length === 1 ? formValue(fields, name) : undefined]),
      );
      const read = readEvidence(entered, today);
      const problems: Refusal['fields'] = 'problems' in read ? { ...read.problems } : {};
      if (formValue(fields, 'confirm') !== 'yes') problems.confirm = 'Tick the box to confirm the details are yours and true.';
      if ('evidence' in read && Object.keys(problems).length === 0) return { form: 'identity_check', evidence: read.evidence };
      return { refused: true, form: 'identity_check', message: null, fields: problems, chosen: [], entered };
    }
  }
}
