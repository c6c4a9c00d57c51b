import { codePointLength } from './text.js';
import type { Profile } from './profile.js';

/**
 * What an end customer submits for an identity check (decisions §25), how it is validated, and how a
 * reviewer compares it with what the platform stated about the profile. The evidence is stored sealed
 * with the master key (src/store/identity-checks.ts) and never leaves the review console.
 */
export const DOCUMENT_TYPES = ['passport', 'national_id', 'driving_licence', 'residence_permit'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export const DOCUMENT_TYPE_WORDS: Record<DocumentType, string> = {
  passport: 'Passport',
  national_id: 'National identity card',
  driving_licence: 'Driving licence',
  residence_permit: 'Residence permit',
};

export interface IdentityEvidence {
  legalName: string;
  /** `YYYY-MM-DD` */
  dateOfBirth: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
  documentType: DocumentType;
  documentNumber: string;
}

export const LEGAL_NAME_MAX = 255;
export const DOCUMENT_NUMBER_MAX = 40;
/** the earliest date of birth accepted */
export const EARLIEST_BIRTH_DATE = '1900-01-01';

/** ISO 3166-1 alpha-2: the officially assigned codes. */
export const COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG ' +
  'CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL ' +
  'GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA ' +
  'LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP ' +
  'NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
  'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
/** A country's English name (the code itself if the runtime knows no name for it). */
export const countryName = (code: string) => regionNames.of(code) ?? code;

/** The countries, by English name, for a picker. */
export const COUNTRIES_BY_NAME: readonly { code: string; name: string }[] = COUNTRY_CODES.map((code) => ({ code, name: countryName(code) })).sort(
  (x, y) => x.name.localeCompare(y.name, 'en'),
);

/** The raw fields of the portal's form, as posted. */
export interface EvidenceInput {
  legal_name?: string;
  date_of_birth?: string;
  country?: string;
  document_type?: string;
  document_number?: string;
}

export type EvidenceField = keyof EvidenceInput;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** `YYYY-MM-DD` of a real calendar day, or null. */
function calendarDate(text: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? text : null;
}

/**
 * Reads the evidence; every field's problem at once (one message per field), so the person fixes
 * them in one go. `today` is the server's date (`YYYY-MM-DD`, UTC): a birth date after it is refused.
 */
export function readEvidence(input: EvidenceInput, today: string): { evidence: IdentityEvidence } | { problems: Partial<Record<EvidenceField, string>> } {
  const problems: Partial<Record<EvidenceField, string>> = {};
  const legalName = (input.legal_name ?? '').trim();
  if (legalName === '') problems.legal_name = 'Enter your full legal name.';
  else if (codePointLength(legalName) > LEGAL_NAME_MAX) problems.legal_name = `Your full legal name can be at most ${LEGAL_NAME_MAX} characters.`;
  else if (!legalName.isWellFormed() || CONTROL.test(legalName)) problems.legal_name = 'Your full legal name contains characters that are not allowed.';

  const dateOfBirth = (input.date_of_birth ?? '').trim();
  const date = calendarDate(dateOfBirth);
  if (dateOfBirth === '') problems.date_of_birth = 'Enter your date of birth.';
  else if (date === null) problems.date_of_birth = 'Enter your date of birth as a real date, such as 1990-04-23.';
  else if (date < EARLIEST_BIRTH_DATE || date > today) problems.date_of_birth = `Enter a date of birth between ${EARLIEST_BIRTH_DATE} and today.`;

  const country = (input.country ?? '').trim();
  if (!COUNTRY_CODES.includes(country)) problems.country = 'Choose the country that issued your document.';

  const documentType = (input.document_type ?? '').trim();
  if (!(DOCUMENT_TYPES as readonly string[]).includes(documentType)) problems.document_type = 'Choose the kind of document.';

  const documentNumber = (input.document_number ?? '').trim();
  if (documentNumber === '') problems.document_number = 'Enter the number of your document.';
  else if (documentNumber.length > DOCUMENT_NUMBER_MAX) problems.document_number = `The document number can be at most ${DOCUMENT_NUMBER_MAX} characters.`;
  else if (!/^[A-Za-z0-9][A-Za-z0-9 -]*$/.test(documentNumber)) problems.document_number = 'The document number may hold only letters, digits, spaces and hyphens.';

  if (Object.keys(problems).length > 0) return { problems };
  return { evidence: { legalName, dateOfBirth, country, documentType: documentType as DocumentType, documentNumber } };
}

/** How one submitted field compares with what the platform stated about the profile. */
export type Comparison = 'match' | 'mismatch' | 'not_stated';

/** Names compare ignoring case, accents' composition, and runs of spaces. */
const normalName = (name: string) => name.normalize('NFKC').toLocaleLowerCase('en').replace(/\s+/g, ' ').trim();

export function compareEvidence(evidence: IdentityEvidence, profile: Pick<Profile, 'name' | 'details'>): { name: Comparison; country: Comparison } {
  return {
    name: profile.name === null ? 'not_stated' : normalName(profile.name) === normalName(evidence.legalName) ? 'match' : 'mismatch',
    country: profile.details.country === null ? 'not_stated' : profile.details.country === evidence.country ? 'match' : 'mismatch',
  };
}

/** How long evidence is kept after the decision on its check (documented in README.md). */
export const EVIDENCE_RETENTION_DAYS = 30;

/** What seals evidence at rest: the master-key SecretBox (src/webhooks/secrets.ts). */
export interface Sealer {
  seal(plaintext: string): string;
  open(ciphertext: string): string;
}

export const sealEvidence = (box: Sealer, evidence: IdentityEvidence) => box.seal(JSON.stringify(evidence));
export const openEvidence = (box: Sealer, sealed: string) => JSON.parse(box.open(sealed)) as IdentityEvidence;
