import type { PlatformCall, Route } from '../../route.js';
import { createActionUrl } from './action-urls.js';
import { createUserProfile } from './create.js';
import { deleteUserProfile } from './delete.js';
import { createEnrollmentUrl } from './enrollment-url.js';
import { listUserProfiles } from './list.js';
import { retrieveUserProfile } from './retrieve.js';
import { updateUserProfile } from './update.js';

/** The User Profiles API, one file per operation (contract §3.1, E1–E7). */
export const userProfileRoutes: readonly Route<PlatformCall>[] = [
  createUserProfile,
  retrieveUserProfile,
  updateUserProfile,
  listUserProfiles,
  deleteUserProfile,
  createEnrollmentUrl,
  createActionUrl,
];
