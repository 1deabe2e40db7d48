/**
 * IPC channel names (`domain:verb-noun`) by AppApi path. Pure data with no imports, so the sandboxed preload
 * can use it without bundling zod.
 */
export const CHANNEL_NAMES = {
  'app.info': 'app:get-info',
  'app.chooseDataDir': 'app:choose-data-dir',
  'settings.get': 'settings:get',
  'settings.set': 'settings:set',
  'profiles.list': 'profiles:list',
  'profiles.add': 'profiles:add',
  'profiles.update': 'profiles:update',
  'profiles.remove': 'profiles:remove',
  'profiles.test': 'profiles:test-connection',
  'profiles.searchUsers': 'profiles:search-users',
  'sandbox.status': 'sandbox:get-status',
  'sandbox.start': 'sandbox:start',
  'sandbox.stop': 'sandbox:stop',
  'sandbox.chats': 'sandbox:list-chats',
  'sheets.import': 'sheets:import-file',
  'sheets.openDialog': 'sheets:open-dialog',
  'sheets.reimport': 'sheets:reimport',
  'sheets.rows': 'sheets:get-rows',
  'sheets.editCell': 'sheets:edit-cell',
  'sheets.liveCheck': 'sheets:live-check',
  'sheets.template': 'sheets:get-template',
  'sheets.close': 'sheets:close',
  'sheets.editCells': 'sheets:edit-cells',
  'sheets.openSample': 'sheets:open-sample',
  'compose.validate': 'compose:validate',
  'compose.create': 'compose:create-chat',
  'compose.prepareAvatar': 'compose:prepare-avatar',
  'jobs.list': 'jobs:list',
  'jobs.createFromSheet': 'jobs:create-from-sheet',
  'jobs.addCompose': 'jobs:add-compose',
  'jobs.start': 'jobs:start',
  'jobs.pause': 'jobs:pause',
  'jobs.resume': 'jobs:resume',
  'jobs.cancel': 'jobs:cancel',
  'jobs.retryFailed': 'jobs:retry-failed',
  'jobs.remove': 'jobs:remove',
  'jobs.snapshot': 'jobs:get-snapshot',
  'jobs.exportResults': 'jobs:export-results',
  'shell.openChat': 'shell:open-chat',
  'sheets.avatarFolders': 'sheets:get-avatar-folders',
  'sheets.allowAvatarFolders': 'sheets:allow-avatar-folders',
  'sheets.setAvatarFolder': 'sheets:set-avatar-folder',
  'sheets.sendPlan': 'sheets:get-send-plan',
  'jobs.sendUnsent': 'jobs:send-unsent',
} as const

export type ApiPath = keyof typeof CHANNEL_NAMES

/** Main → renderer event channel for job events. */
export const JOB_EVENT_CHANNEL = 'jobs:event'

/** Resolves 'ns.fn' to its two parts (used by preload, main and the e2e bridge alike). */
export function splitPath(path: ApiPath): [string, string] {
  const [ns, fn] = path.split('.') as [string, string]
  return [ns, fn]
}

export const API_PATHS = Object.keys(CHANNEL_NAMES) as ApiPath[]
