import { enforcementStatus, openActions, verifiable, type EnforcementStatus } from '../domain/enforcement.js';
import {
  COUNTRIES_BY_NAME, DOCUMENT_NUMBER_MAX, DOCUMENT_TYPE_WORDS, DOCUMENT_TYPES, EARLIEST_BIRTH_DATE, LEGAL_NAME_MAX,
  type EvidenceField,
} from '../domain/identity.js';
import {
  CYBER_TIER_NAMES, CYBER_TIERS, EFS_FEATURE_NAMES, EFS_FEATURES, REJECTION_REASON_WORDS,
  type CyberProgram, type CyberTier, type EfsFeature, type EfsProgram, type RejectionReason,
} from '../domain/programs.js';
import { formatTimestamp } from '../domain/time.js';
import { html, type SafeHtml } from '../pages/html.js';
import { badge, csrfField, errorNotice, savedNotice, when, type Tone } from '../pages/kit.js';
import { brandHeader } from '../pages/branding.js';
import type { OpenLink } from './link.js';
import type { PortalForm, Refusal } from './submission.js';

export const PORTAL_TITLE = 'Verification Portal';

/** Confirmations shown after a successful submission (`?done=…`). */
const DONE: Record<PortalForm, (platform: string) => SafeHtml> = {
  cyber: (platform) =>
    html`<strong>Your application to the Cyber Verification Program was submitted.</strong> It is now in review; ${platform} sees it as pending until a decision is made.`,
  efs: (platform) =>
    html`<strong>Your application to Enterprise Frontier Safeguards was submitted.</strong> It is now in review; ${platform} sees it as pending until a decision is made.`,
  identity_check: () =>
    html`<strong>Your identity check was submitted.</strong> It is now in review. You can apply for programs below while you wait.`,
  billing: (platform) => html`<strong>Your billing choice was saved.</strong> ${platform} sees it from now on.`,
};

export const isDone = (value: unknown): value is PortalForm => typeof value === 'string' && Object.hasOwn(DONE, value);

export const tierLabel = (tier: CyberTier) => `${CYBER_TIER_NAMES[tier]} (tier ${tier.toUpperCase()})`;
const list = (items: string[]) => items.join(', ');

const rejected = (reason: RejectionReason | undefined) =>
  html`${badge('bad', 'Not approved')}${reason ? html`<div>${REJECTION_REASON_WORDS[reason]}</div>` : ''}<div class="muted">You may apply again.</div>`;

function cyberStatus(cyber: CyberProgram | null): SafeHtml {
  if (cyber === null) return badge('none', 'Not enrolled');
  const active = CYBER_TIERS.filter((tier) => cyber.tiers[tier].active);
  const asked = cyber.application ? html`<div class="muted">In review: ${list(cyber.application.tiers.map(tierLabel))}</div>` : '';
  switch (cyber.status) {
    case 'active':
      return html`${badge('good', 'Active')}
        <div>${active.length > 0 ? html`Active tiers: ${list(active.map(tierLabel))}` : 'Access to earlier models (no tier active yet)'}</div>${asked}`;
    case 'pending':
      return html`${badge('waiting', cyber.application ? 'Application in review' : 'Pending')}${asked}`;
    case 'rejected':
      return rejected(cyber.rejectionReason);
  }
}

function efsStatus(efs: EfsProgram | null): SafeHtml {
  if (efs === null) return badge('none', 'Not applied');
  const approved = EFS_FEATURES.filter((feature) => efs.features[feature]).map((f) => EFS_FEATURE_NAMES[f]);
  const asked = efs.application
    ? html`<div class="muted">In review: ${list(efs.application.features.map((f) => EFS_FEATURE_NAMES[f]))}</div>`
    : '';
  switch (efs.status) {
    case 'active':
      return html`${badge('good', 'Approved')}
        <div>${approved.length > 0 ? html`Approved features: ${list(approved)}` : 'No feature approved yet'}</div>${asked}`;
    case 'pending':
      return html`${badge('waiting', efs.application ? 'Application in review' : 'Pending')}${asked}`;
    case 'rejected':
      return rejected(efs.rejectionReason);
  }
}

const STANDING: Record<EnforcementStatus, [Tone, string]> = {
  unrestricted: ['good', 'No restrictions'],
  pending: ['waiting', 'Identity check in review'],
  restricted: ['bad', 'Restricted'],
  banned: ['bad', 'Blocked'],
};

export interface PortalView {
  link: OpenLink;
  now: number;
  csrf: string;
  /** a confirmation after a successful submission */
  done?: PortalForm;
  /** a refused submission, shown at the form it came from */
  refusal?: Refusal;
}

/** The bar above every page behind a link: the platform's name, with its logo when it set one. */
export const portalHeader = (link: Pick<OpenLink, 'platform' | 'organizationId' | 'branding'>) =>
  brandHeader(link.platform, link.organizationId, link.branding, PORTAL_TITLE);

/** The page behind a link: who asks, for which profile, where it stands, and what can be done now. */
export function renderPortal(view: PortalView): { header: SafeHtml; body: SafeHtml } {
  const { link, now } = view;
  const { profile, platform } = link;
  const checkOpen = verifiable(profile.actions, now).length > 0;
  const checkInReview = openActions(profile.actions, now).some((a) => a.type === 'restriction' && a.clearable && a.checkSubmitted);
  const [tone, words] = STANDING[enforcementStatus(profile.actions, now)];
  // a form's problems are shown at that form, once; only a refusal of no known form is shown here
  const refusal = view.refusal && view.refusal.form === null ? errorNotice(view.refusal.message ?? undefined) : '';

  const body = html`
<p><strong>${platform}</strong> sent you this link so that you can verify the profile it keeps for you, and apply for trusted-access programs.</p>
${view.done ? savedNotice(DONE[view.done](platform)) : ''}
${refusal}
<section class="card" aria-labelledby="profile-heading">
<h2 id="profile-heading">Your profile</h2>
<dl class="facts">
<dt>Profile</dt><dd>${profile.name ?? html`<span class="muted">Unnamed profile</span>`}<br><code>${profile.id}</code></dd>
<dt>Cyber Verification Program</dt><dd>${cyberStatus(profile.cyber)}</dd>
<dt>Enterprise Frontier Safeguards</dt><dd>${efsStatus(profile.efs)}</dd>
<dt>Account standing</dt><dd>${badge(tone, words)}</dd>
</dl>
</section>
${checkInReview && !checkOpen && view.done !== 'identity_check' ? html`<p class="notice" role="status">Your identity check is in review. We will lift the restriction if it passes; there is nothing more to do for now.</p>` : ''}
${checkOpen ? identityCheckForm(view) : html`${cyberForm(view)}${efsForm(view)}${billingForm(view)}`}
<p class="muted">This link stays valid until ${when(link.expiresAt, now)}. Keep it to yourself: anyone who has it can act for this profile.</p>`;
  return { header: portalHeader(link), body };
}

/** The hidden fields every portal form carries. No `action` attribute: a form posts back to the link it is on. */
const formHead = (csrf: string, form: PortalForm) => html`${csrfField(csrf)}<input type="hidden" name="form" value="${form}">`;

function refusalFor(view: PortalView, form: PortalForm): SafeHtml | '' {
  const refusal = view.refusal;
  if (refusal?.form !== form) return '';
  return errorNotice(refusal.message ?? 'Nothing was submitted: please correct what is marked below.');
}

/** A field of the identity check, with its own problem (if any) tied to it for screen readers. */
function field(view: PortalView, name: EvidenceField, label: string, control: (attributes: SafeHtml) => SafeHtml, hint?: string): SafeHtml {
  const problem = view.refusal?.form === 'identity_check' ? view.refusal.fields?.[name] : undefined;
  const described = [hint ? `${name}-hint` : '', problem ? `${name}-error` : ''].filter(Boolean).join(' ');
  const attributes = html` id="${name}" name="${name}"${described ? html` aria-describedby="${described}"` : ''}${problem ? html` aria-invalid="true"` : ''}`;
  return html`<div class="field"><label for="${name}">${label}</label>${hint ? html`<p class="muted" id="${name}-hint">${hint}</p>` : ''}
${problem ? html`<p class="field-error" id="${name}-error">${problem}</p>` : ''}${control(attributes)}</div>`;
}

function identityCheckForm(view: PortalView): SafeHtml {
  const entered = view.refusal?.form === 'identity_check' ? (view.refusal.entered ?? {}) : {};
  const confirmProblem = view.refusal?.form === 'identity_check' ? view.refusal.fields?.confirm : undefined;
  const today = formatTimestamp(view.now).slice(0, 10);
  const option = (value: string, words: string, chosen: string | undefined) =>
    html`<option value="${value}"${value === chosen ? html` selected` : ''}>${words}</option>`;
  return html`
<section class="card" id="identity-check" aria-labelledby="identity-check-heading">
<h2 id="identity-check-heading">Identity check</h2>
<p>Access for this profile is restricted. You can lift the restriction by confirming who you are. Please complete this check first; you can apply for programs once it is submitted.</p>
<p class="muted">What you enter here is seen only by the reviewers of ${view.link.platform}'s provider, kept encrypted, and deleted after the review.</p>
${refusalFor(view, 'identity_check')}
<form method="post">
${formHead(view.csrf, 'identity_check')}
${field(view, 'legal_name', 'Full legal name', (a) => html`<input type="text"${a} maxlength="${LEGAL_NAME_MAX}" autocomplete="name" value="${entered.legal_name ?? ''}">`, 'As it is written on your document.')}
${field(view, 'date_of_birth', 'Date of birth', (a) => html`<input type="date"${a} min="${EARLIEST_BIRTH_DATE}" max="${today}" autocomplete="bday" value="${entered.date_of_birth ?? ''}">`)}
${field(view, 'country', 'Country that issued your document', (a) => html`<select${a}><option value="">Choose a country</option>${COUNTRIES_BY_NAME.map((c) => option(c.code, c.name, entered.country))}</select>`)}
${field(view, 'document_type', 'Document', (a) => html`<select${a}><option value="">Choose a document</option>${DOCUMENT_TYPES.map((t) => option(t, DOCUMENT_TYPE_WORDS[t], entered.document_type))}</select>`)}
${field(view, 'document_number', 'Document number', (a) => html`<input type="text"${a} maxlength="${DOCUMENT_NUMBER_MAX}" autocomplete="off" spellcheck="false" value="${entered.document_number ?? ''}">`)}
${confirmProblem ? html`<p class="field-error" id="confirm-error">${confirmProblem}</p>` : ''}
<label class="choice"><input type="checkbox" name="confirm" value="yes"${confirmProblem ? html` aria-invalid="true" aria-describedby="confirm-error"` : ''}> I confirm that these details are mine and true, and that I may act for this account.</label>
<p><button type="submit">Submit identity check</button></p>
</form>
</section>`;
}

function choice(name: string, value: string, label: string, checked: boolean): SafeHtml {
  return html`<label class="choice"><input type="checkbox" name="${name}" value="${value}"${checked ? html` checked` : ''}> ${label}</label>`;
}

/**
 * A program's application form: what is already active or in review is listed as such (and kept), and
 * only the rest is offered; when nothing is left, there is no form.
 */
function applicationForm<T extends string>(options: {
  view: PortalView;
  form: 'cyber' | 'efs';
  title: string;
  intro: string;
  legend: string;
  field: string;
  items: readonly T[];
  label: (item: T) => string;
  active: (item: T) => boolean;
  activeWord: string;
  inReview: readonly T[];
  submit: string;
}): SafeHtml {
  const { view, form } = options;
  const chosen = view.refusal?.form === form ? view.refusal.chosen : [];
  const settled = options.items.filter((item) => options.active(item) || options.inReview.includes(item));
  const offered = options.items.filter((item) => !settled.includes(item));
  return html`
<section class="card" id="${form}" aria-labelledby="${form}-heading">
<h2 id="${form}-heading">${options.title}</h2>
<p class="muted">${options.intro}</p>
${settled.length > 0
    ? html`<ul class="plain">${settled.map((item) => html`<li>${options.label(item)}: ${options.active(item) ? badge('good', options.activeWord) : badge('waiting', 'in review')}</li>`)}</ul>`
    : ''}
${refusalFor(view, form)}
${offered.length === 0
    ? html`<p>There is nothing more to apply for here.</p>`
    : html`<form method="post">
${formHead(view.csrf, form)}
<fieldset><legend>${options.legend}</legend>
${offered.map((item) => choice(options.field, item, options.label(item), chosen.includes(item)))}
</fieldset>
${options.inReview.length > 0 ? html`<p class="muted">What is already in review stays in review; choose what to add.</p>` : ''}
<button type="submit">${options.inReview.length > 0 ? 'Add to my application' : options.submit}</button>
</form>`}
</section>`;
}

function cyberForm(view: PortalView): SafeHtml {
  const cyber = view.link.profile.cyber;
  return applicationForm<CyberTier>({
    view, form: 'cyber', title: 'Cyber Verification Program',
    intro: 'Relaxed safeguards for security work. Choose the tiers you need; each is reviewed on its own.',
    legend: 'Tiers', field: 'tier', items: CYBER_TIERS, label: tierLabel,
    active: (tier) => Boolean(cyber?.tiers[tier].active), activeWord: 'active', inReview: cyber?.application?.tiers ?? [],
    submit: 'Apply for the Cyber Verification Program',
  });
}

function efsForm(view: PortalView): SafeHtml {
  const efs = view.link.profile.efs;
  return applicationForm<EfsFeature>({
    view, form: 'efs', title: 'Enterprise Frontier Safeguards',
    intro: 'Enterprise data controls. Choose the features you want; approval is separate from setting them up.',
    legend: 'Features', field: 'feature', items: EFS_FEATURES, label: (f) => EFS_FEATURE_NAMES[f],
    active: (feature) => Boolean(efs?.features[feature]), activeWord: 'approved', inReview: efs?.application?.features ?? [],
    submit: 'Apply for Enterprise Frontier Safeguards',
  });
}

/** Whether the platform may bill the end customer for requests it makes for them (`billing_policy.bill_to: "user_profile"`). */
function billingForm(view: PortalView): SafeHtml {
  const { profile, platform } = view.link;
  return html`
<section class="card" id="billing">
<h2>Billing</h2>
<p>${profile.billingAuthorized
    ? html`${badge('good', 'Allowed')} ${platform} may bill you for the requests it makes for this profile.`
    : html`${badge('none', 'Not allowed')} ${platform} pays for the requests it makes for this profile.`}</p>
${refusalFor(view, 'billing')}
<form method="post">
${formHead(view.csrf, 'billing')}
<input type="hidden" name="authorize" value="${profile.billingAuthorized ? 'no' : 'yes'}">
${profile.billingAuthorized ? '' : html`<label class="choice"><input type="checkbox" name="confirm" value="yes" required> I allow ${platform} to bill me for the requests it makes for this profile, until I withdraw it here.</label>`}
<button type="submit">${profile.billingAuthorized ? 'Withdraw my permission' : 'Allow billing'}</button>
</form>
</section>`;
}

/** The error pages: the same words for every way a link can be wrong, so they reveal nothing. */
export const LINK_ERRORS = {
  404: {
    title: 'This link is not valid',
    body: html`<div class="card"><p>Check that you copied the whole link. If it still does not work, ask the platform that sent it to you for a new one.</p><p class="muted">Nothing was changed.</p></div>`,
  },
  410: {
    title: 'This link has expired',
    body: html`<div class="card"><p>Links to the ${PORTAL_TITLE} work for a limited time. Ask the platform that sent it to you for a new link.</p><p class="muted">Nothing was changed.</p></div>`,
  },
} as const;

/** The header of pages that cannot name a platform (a link that did not check out). */
export const PLAIN_HEADER = html`<header><strong>${PORTAL_TITLE}</strong></header>`;
