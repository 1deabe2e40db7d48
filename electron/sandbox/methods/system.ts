/** user.*, profile, scope, server.time (notes §5–6). */
import type { AuthContext } from '../auth'
import { E } from '../errors'
import { phpBool } from '../php'
import { queryUsers, userJson } from '../users'
import type { UserView } from '../users'
import { done, lightCost } from './types'
import type { MethodDef, MethodEnv } from './types'

/** What the caller's user scopes let it see. */
export function userView(auth: AuthContext): UserView {
  if (auth.scopes.has('user')) return 'full'
  if (auth.scopes.has('user_basic')) return 'basic'
  return 'brief'
}

const USER_SCOPES = ['user', 'user_basic', 'user_brief'] as const

const userGet: MethodDef = {
  scopes: USER_SCOPES,
  upperKeys: false,
  prepare(auth, p, env) {
    const view = userView(auth)
    return {
      costMs: lightCost(env, 0.08),
      commit: () => queryUsers(env.users, p, view),
    }
  },
}

const userSearch: MethodDef = {
  scopes: USER_SCOPES,
  upperKeys: false,
  prepare(auth, p, env) {
    const view = userView(auth)
    const findRaw = p.FIND ?? p.find
    const find = typeof findRaw === 'string' && findRaw.trim() !== '' ? findRaw : undefined
    let params = p
    if (!find) {
      // NAME / LAST_NAME / WORK_POSITION search by substring.
      params = {}
      for (const [k, v] of Object.entries(p)) {
        const up = k.toUpperCase()
        if (['NAME', 'LAST_NAME', 'WORK_POSITION', 'SECOND_NAME', 'EMAIL'].includes(up)) params['%' + up] = v
        else if (up !== 'UF_DEPARTMENT_NAME') params[k] = v
      }
    }
    return {
      costMs: lightCost(env, 0.1),
      commit: () => queryUsers(env.users, params, view, find),
    }
  },
}

function me(auth: AuthContext, env: MethodEnv): NonNullable<ReturnType<MethodEnv['users']['get']>> {
  const u = env.users.get(auth.userId)
  if (!u) throw E.noAuth()
  return u
}

const userCurrent: MethodDef = {
  scopes: USER_SCOPES,
  upperKeys: false,
  prepare(auth, _p, env) {
    return done(lightCost(env, 0.01), () => userJson(me(auth, env), userView(auth)))
  },
}

const profile: MethodDef = {
  scopes: null,
  upperKeys: false,
  prepare(auth, _p, env) {
    return done(lightCost(env, 0.01), () => {
      const u = me(auth, env)
      return { ID: String(u.id), ADMIN: u.admin, NAME: u.name, LAST_NAME: u.lastName, PERSONAL_GENDER: u.gender, PERSONAL_PHOTO: '', TIME_ZONE: '', TIME_ZONE_OFFSET: 0 }
    })
  },
}

/** Every scope this sandbox knows (scope?full=true). */
export const ALL_SCOPES = ['im', 'imbot', 'user', 'user_basic', 'user_brief', 'department', 'crm', 'task', 'disk']

const scope: MethodDef = {
  scopes: null,
  upperKeys: false,
  prepare(auth, p, env) {
    const full = phpBool(p.full ?? p.FULL)
    return done(lightCost(env, 0.01), () => (full ? [...ALL_SCOPES] : [...auth.scopes]))
  },
}

/** date('c') in UTC. */
export const isoDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')

const serverTime: MethodDef = {
  scopes: null,
  upperKeys: false,
  prepare(_auth, _p, env) {
    return done(lightCost(env, 0.005), () => isoDate(env.now()))
  },
}

export const systemMethods: Record<string, MethodDef> = {
  'user.get': userGet,
  'user.search': userSearch,
  'user.current': userCurrent,
  profile,
  scope,
  'server.time': serverTime,
}
