import { CYBER_TIERS, EFS_FEATURES, type CyberTier, type EfsFeature } from '../domain/programs.js';
import { codePointLength } from '../domain/text.js';
import { formValue, formValues, type FormFields } from '../pages/forms.js';

export const PORTAL_FORMS = ['identity_check', 'cyber', 'efs', 'billing'] as const;
export type PortalForm = (typeof PORTAL_FORMS)[number];

export const LEGAL_NAME_MAX = 255;

export type Submission =
  | { form: 'cyber'; tiers: CyberTier[] }
  | { form: 'efs'; features: EfsFeature[] }
  /** the legal name is checked and then dropped: only the fact of the submission is kept */
  | { form: 'identity_check' }
  /** whether the end customer lets the platform bill them for requests made for this profile */
  | { form: 'billing'; authorized: boolean };

/** Why a submission was refused, for the form it came from (null when the form itself is unknown). */
export interface Refusal {
  refused: true;
  form: PortalForm | null;
  message: string;
  /** the choices the person made, so the re-shown form keeps them */
  chosen: string[];
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

/** Reads a posted portal form (the CSRF token is checked before this). */
export function readSubmission(fields: FormFields): Submission | Refusal {
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
      const names = formValues(fields, 'legal_name');
      const name = names.length === 1 ? names[0].trim() : '';
      if (name === '') return refuse('identity_check', 'Enter your full legal name.');
      if (codePointLength(name) > LEGAL_NAME_MAX) return refuse('identity_check', `Your full legal name can be at most ${LEGAL_NAME_MAX} characters.`);
      if (!name.isWellFormed() || /[\u0000-\u001f\u007f]/.test(name)) return refuse('identity_check', 'Your full legal name contains characters that are not allowed.');
      if (formValue(fields, 'confirm') !== 'yes') return refuse('identity_check', 'Tick the box to confirm the details are yours and true.');
      return { form: 'identity_check' };
    }
  }
}
