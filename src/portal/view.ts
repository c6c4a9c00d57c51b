import { enforcementStatus, openActions, verifiable, type EnforcementStatus } from '../domain/enforcement.js';
import {
  CYBER_TIER_NAMES, CYBER_TIERS, EFS_FEATURE_NAMES, EFS_FEATURES,
  type CyberProgram, type CyberTier, type EfsFeature, type EfsProgram,
} from '../domain/programs.js';
import { formatTimestamp } from '../domain/time.js';
import { html, type SafeHtml } from '../pages/html.js';
import type { OpenLink } from './link.js';
import { LEGAL_NAME_MAX, type PortalForm, type Refusal } from './submission.js';

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

const tierLabel = (tier: CyberTier) => `${CYBER_TIER_NAMES[tier]} (tier ${tier.toUpperCase()})`;
const list = (items: string[]) => items.join(', ');
/** `2026-11-29 12:53 UTC` */
const humanTime = (ms: number) => `${formatTimestamp(ms).slice(0, 16).replace('T', ' ')} UTC`;

function statusBadge(kind: string, words: string): SafeHtml {
  return html`<span class="${`status ${kind}`}">${words}</span>`;
}

function cyberStatus(cyber: CyberProgram | null): SafeHtml {
  if (cyber === null) return html`${statusBadge('none', 'Not enrolled')}`;
  const active = CYBER_TIERS.filter((tier) => cyber.tiers[tier].active);
  const asked = cyber.application ? html`<div class="muted">In review: ${list(cyber.application.tiers.map(tierLabel))}</div>` : '';
  switch (cyber.status) {
    case 'active':
      return html`${statusBadge('active', 'Active')}
        <div>${active.length > 0 ? html`Active tiers: ${list(active.map(tierLabel))}` : 'Access to earlier models (no tier active yet)'}</div>${asked}`;
    case 'pending':
      return html`${statusBadge('pending', cyber.application ? 'Application in review' : 'Pending')}${asked}`;
    case 'rejected':
      return html`${statusBadge('rejected', 'Not approved')}<div class="muted">You may apply again.</div>`;
  }
}

function efsStatus(efs: EfsProgram | null): SafeHtml {
  if (efs === null) return html`${statusBadge('none', 'Not applied')}`;
  const approved = EFS_FEATURES.filter((feature) => efs.features[feature]).map((f) => EFS_FEATURE_NAMES[f]);
  const asked = efs.application
    ? html`<div class="muted">In review: ${list(efs.application.features.map((f) => EFS_FEATURE_NAMES[f]))}</div>`
    : '';
  switch (efs.status) {
    case 'active':
      return html`${statusBadge('active', 'Approved')}
        <div>${approved.length > 0 ? html`Approved features: ${list(approved)}` : 'No feature approved yet'}</div>${asked}`;
    case 'pending':
      return html`${statusBadge('pending', efs.application ? 'Application in review' : 'Pending')}${asked}`;
    case 'rejected':
      return html`${statusBadge('rejected', 'Not approved')}<div class="muted">You may apply again.</div>`;
  }
}

const STANDING_WORDS: Record<EnforcementStatus, string> = {
  unrestricted: 'No restrictions',
  pending: 'Identity check in review',
  restricted: 'Restricted',
  banned: 'Blocked',
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

/** The page behind a link: who asks, for which profile, where it stands, and what can be done now. */
export function renderPortal(view: PortalView): { header: SafeHtml; body: SafeHtml } {
  const { link, now } = view;
  const { profile, platform } = link;
  const checkOpen = verifiable(profile.actions, now).length > 0;
  const checkInReview = openActions(profile.actions, now).some((a) => a.type === 'restriction' && a.clearable && a.checkSubmitted);
  const standing = enforcementStatus(profile.actions, now);
  // shown at the top, where the browser lands; a form's own problem is repeated next to it
  const refusal = view.refusal ? html`<p class="error" role="alert">${view.refusal.form ? 'Nothing was submitted. ' : ''}${view.refusal.message}</p>` : '';

  const header = html`<header><strong>${platform}</strong><span class="muted">${PORTAL_TITLE}</span></header>`;
  const body = html`
<p><strong>${platform}</strong> sent you this link so that you can verify the profile it keeps for you, and apply for trusted-access programs.</p>
${view.done ? html`<p class="notice success" role="status">${DONE[view.done](platform)}</p>` : ''}
${refusal}
<section class="card">
<h2>Your profile</h2>
<table>
<tr><th scope="row">Profile</th><td>${profile.name ?? html`<span class="muted">Unnamed profile</span>`} <code>${profile.id}</code></td></tr>
<tr><th scope="row">Cyber Verification Program</th><td>${cyberStatus(profile.cyber)}</td></tr>
<tr><th scope="row">Enterprise Frontier Safeguards</th><td>${efsStatus(profile.efs)}</td></tr>
<tr><th scope="row">Account standing</th><td>${statusBadge(standing, STANDING_WORDS[standing])}</td></tr>
</table>
</section>
${checkInReview && !checkOpen && view.done !== 'identity_check' ? html`<p class="notice" role="status">Your identity check is in review. We will lift the restriction if it passes; there is nothing more to do for now.</p>` : ''}
${checkOpen ? identityCheckForm(view) : html`${cyberForm(view)}${efsForm(view)}${billingForm(view)}`}
<p class="muted">This link stays valid until ${humanTime(link.expiresAt)}. Keep it to yourself: anyone who has it can act for this profile.</p>`;
  return { header, body };
}

/** The hidden fields every portal form carries. No `action` attribute: a form posts back to the link it is on. */
const formHead = (csrf: string, form: PortalForm) =>
  html`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="form" value="${form}">`;

function refusalFor(view: PortalView, form: PortalForm): SafeHtml | '' {
  return view.refusal?.form === form ? html`<p class="error">${view.refusal.message}</p>` : '';
}

function identityCheckForm(view: PortalView): SafeHtml {
  return html`
<section class="card" id="identity-check">
<h2>Identity check</h2>
<p>Access for this profile is restricted. You can lift the restriction by confirming who you are. Please complete this check first; you can apply for programs once it is submitted.</p>
${refusalFor(view, 'identity_check')}
<form method="post">
${formHead(view.csrf, 'identity_check')}
<label for="legal_name">Full legal name</label>
<input type="text" id="legal_name" name="legal_name" required maxlength="${LEGAL_NAME_MAX}" autocomplete="name">
<label class="choice"><input type="checkbox" name="confirm" value="yes" required> I confirm that these details are mine and true, and that I may act for this account.</label>
<p><button type="submit">Submit identity check</button></p>
</form>
</section>`;
}

function choice(name: string, value: string, label: string, note: string | null, checked: boolean): SafeHtml {
  return html`<label class="choice"><input type="checkbox" name="${name}" value="${value}"${checked ? html` checked` : ''}> ${label}${note ? html` <span class="muted">— ${note}</span>` : ''}</label>`;
}

function cyberForm(view: PortalView): SafeHtml {
  const cyber = view.link.profile.cyber;
  const chosen = view.refusal?.form === 'cyber' ? view.refusal.chosen : [];
  const inReview = cyber?.application?.tiers ?? [];
  return html`
<section class="card" id="cyber">
<h2>Cyber Verification Program</h2>
<p class="muted">Relaxed safeguards for security work. Choose the tiers you need; each is reviewed on its own.${cyber?.application ? ' Applying again replaces the tiers in review.' : ''}</p>
${refusalFor(view, 'cyber')}
<form method="post">
${formHead(view.csrf, 'cyber')}
<fieldset><legend>Tiers</legend>
${CYBER_TIERS.map((tier) =>
  choice('tier', tier, tierLabel(tier), cyber?.tiers[tier].active ? 'already active' : inReview.includes(tier) ? 'in review' : null, chosen.includes(tier)),
)}
</fieldset>
<button type="submit">${cyber?.application ? 'Update my application' : 'Apply for the Cyber Verification Program'}</button>
</form>
</section>`;
}

function efsForm(view: PortalView): SafeHtml {
  const efs = view.link.profile.efs;
  const chosen = view.refusal?.form === 'efs' ? view.refusal.chosen : [];
  const inReview: EfsFeature[] = efs?.application?.features ?? [];
  return html`
<section class="card" id="efs">
<h2>Enterprise Frontier Safeguards</h2>
<p class="muted">Enterprise data controls. Choose the features you want; approval is separate from setting them up.${efs?.application ? ' Applying again replaces the features in review.' : ''}</p>
${refusalFor(view, 'efs')}
<form method="post">
${formHead(view.csrf, 'efs')}
<fieldset><legend>Features</legend>
${EFS_FEATURES.map((feature) =>
  choice('feature', feature, EFS_FEATURE_NAMES[feature], efs?.features[feature] ? 'already approved' : inReview.includes(feature) ? 'in review' : null, chosen.includes(feature)),
)}
</fieldset>
<button type="submit">${efs?.application ? 'Update my application' : 'Apply for Enterprise Frontier Safeguards'}</button>
</form>
</section>`;
}

/** Whether the platform may bill the end customer for requests it makes for them (`billing_policy.bill_to: "user_profile"`). */
function billingForm(view: PortalView): SafeHtml {
  const { profile, platform } = view.link;
  return html`
<section class="card" id="billing">
<h2>Billing</h2>
<p>${profile.billingAuthorized
    ? html`${statusBadge('active', 'Allowed')} ${platform} may bill you for the requests it makes for this profile.`
    : html`${statusBadge('none', 'Not allowed')} ${platform} pays for the requests it makes for this profile.`}</p>
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
