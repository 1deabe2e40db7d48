// Runs the official @bitrix24/b24jssdk (unmodified) against a webhook URL given in SANDBOX_WEBHOOK and prints
// one JSON line with what it saw. Run with NODE_EXTRA_CA_CERTS=<sandbox CA file> so TLS stays verified.
import { B24Hook } from '@bitrix24/b24jssdk'

const url = process.env.SANDBOX_WEBHOOK
const out = {}
try {
  const b24 = B24Hook.fromWebhookUrl(url)
  const created = await b24.callMethod('im.chat.add', {
    USERS: [2, 3], TITLE: 'SDK chat', COLOR: 'PINK', ENTITY_TYPE: 'SDKTEST', ENTITY_ID: 'row-1', MESSAGE: 'Hello + welcome',
  })
  out.chatId = created.getData().result
  out.chatTime = created.getData().time

  const calls = {}
  for (let i = 0; i < 50; i++) calls[`c${i}`] = { method: 'im.chat.add', params: { USERS: [i + 2], TITLE: `Batch ${i} a+b`, ENTITY_TYPE: 'SDKTEST', ENTITY_ID: `batch-${i}` } }
  const batch = await b24.callBatch(calls, true)
  out.batchOk = batch.isSuccess
  out.batchData = batch.getData()

  const found = await b24.callMethod('im.chat.get', { ENTITY_TYPE: 'SDKTEST', ENTITY_ID: 'batch-7' })
  out.found = found.getData().result

  const user = await b24.callMethod('user.get', { FILTER: { EMAIL: 'user7@sandbox.test', ACTIVE: true } })
  out.user = user.getData().result
  out.userTotal = user.getData().total
} catch (e) {
  out.error = String(e && e.message ? e.message : e)
}
process.stdout.write(JSON.stringify(out) + '\n')
process.exit(0)
