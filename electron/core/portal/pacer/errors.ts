/** What the pacer throws when one of its waits cannot end (a loop guard tripped): never a silent fall-through. */
import { AppFailure } from '../../../shared/result'

export class PacerStuck extends AppFailure {
  constructor(readonly wait: 'bucket' | 'budget' | 'admission', tries: number) {
    const what = { bucket: 'the request-rate limit', budget: 'the operating budget', admission: 'a free request slot' }[wait]
    const ru = { bucket: 'лимита запросов', budget: 'лимита времени выполнения', admission: 'свободного места для запроса' }[wait]
    super('INTERNAL', `The request pacer gave up waiting for ${what} after ${tries} checks without progress; nothing more was sent. Start the job again; if it happens again, report it.`, {
      messageRu: `Планировщик запросов перестал ждать ${ru} после ${tries} проверок без продвижения; больше ничего не отправлено. Запустите задание снова; если это повторится, сообщите о проблеме.`,
    })
    this.name = 'PacerStuck'
  }
}
