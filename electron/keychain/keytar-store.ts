/**
 * The OS keychain adapter (keytar): Windows Credential Manager, macOS Keychain, Linux Secret Service.
 * The only module that imports keytar. Loaded lazily so that a missing native module or a missing
 * Secret Service becomes a clear KEYCHAIN_UNAVAILABLE error instead of a crash at start.
 */
import type * as KeytarModule from 'keytar'
import { AppFailure } from '../shared/result'
import type { SecretStore } from '../core/profiles/secret-store'
import { KEYCHAIN_SERVICE } from '../core/profiles/secret-store'

type Keytar = typeof KeytarModule

function explain(e: unknown): { message: string; messageRu: string } {
  const raw = e instanceof Error ? e.message : String(e)
  if (/org\.freedesktop\.secrets|secret service|was not provided by any \.service files|ServiceUnknown/i.test(raw))
    return {
      message: 'The OS keychain is not available: no Secret Service is running (install and unlock GNOME Keyring or KWallet, then try again). Nothing was stored.',
      messageRu: 'Хранилище паролей ОС недоступно: служба Secret Service не запущена (установите и разблокируйте GNOME Keyring или KWallet, затем повторите). Ничего не сохранено.',
    }
  if (/collection\/login|Object does not exist at path/i.test(raw))
    return {
      message: 'The OS keychain has no unlocked default keyring: the Secret Service is running but its login keyring is missing or locked (unlock or create it in your keyring manager, then try again). Nothing was stored.',
      messageRu: 'В хранилище паролей ОС нет разблокированной связки ключей по умолчанию: Secret Service работает, но связка login отсутствует или заблокирована (разблокируйте или создайте её в менеджере ключей, затем повторите). Ничего не сохранено.',
    }
  if (/DBUS_SESSION_BUS_ADDRESS|dbus|X11|\$DISPLAY/i.test(raw))
    return {
      message: 'The OS keychain is not available: there is no D-Bus session (run inside a desktop session or under dbus-run-session with a keyring daemon). Nothing was stored.',
      messageRu: 'Хранилище паролей ОС недоступно: нет сеанса D-Bus (запустите в сеансе рабочего стола или под dbus-run-session с демоном связки ключей). Ничего не сохранено.',
    }
  if (/locked|unlock|prompt|dismissed/i.test(raw))
    return {
      message: 'The OS keychain is locked or the unlock prompt was dismissed. Unlock it and try again. Nothing was stored.',
      messageRu: 'Хранилище паролей ОС заблокировано или запрос на разблокировку закрыт. Разблокируйте его и повторите. Ничего не сохранено.',
    }
  if (/Cannot find module|keytar\.node|was compiled against|NODE_MODULE_VERSION/i.test(raw))
    return {
      message: 'The OS keychain module (keytar) could not be loaded for this runtime. Reinstall the app. Nothing was stored.',
      messageRu: 'Не удалось загрузить модуль хранилища паролей (keytar) для этой среды. Переустановите приложение. Ничего не сохранено.',
    }
  return {
    message: `The OS keychain refused the operation (${raw.slice(0, 200)}). Nothing was stored.`,
    messageRu: `Хранилище паролей ОС отказало в операции (${raw.slice(0, 200)}). Ничего не сохранено.`,
  }
}

function unavailable(e: unknown): AppFailure {
  const { message, messageRu } = explain(e)
  return new AppFailure('KEYCHAIN_UNAVAILABLE', message, { messageRu })
}

export class KeytarSecretStore implements SecretStore {
  readonly label = 'OS keychain'
  private keytar: Promise<Keytar> | null = null
  constructor(private readonly service: string = KEYCHAIN_SERVICE) {}

  private load(): Promise<Keytar> {
    this.keytar ??= import('keytar').then((m) => ((m as unknown as { default?: Keytar }).default ?? m) as Keytar)
    return this.keytar
  }

  private async op<T>(fn: (k: Keytar) => Promise<T>): Promise<T> {
    let k: Keytar
    try {
      k = await this.load()
    } catch (e) {
      this.keytar = null
      throw unavailable(e)
    }
    try {
      return await fn(k)
    } catch (e) {
      throw unavailable(e)
    }
  }

  get(account: string): Promise<string | null> {
    return this.op((k) => k.getPassword(this.service, account))
  }
  set(account: string, secret: string): Promise<void> {
    return this.op((k) => k.setPassword(this.service, account, secret))
  }
  delete(account: string): Promise<boolean> {
    return this.op((k) => k.deletePassword(this.service, account))
  }
  async check(): Promise<void> {
    // A read of a non-existent entry exercises the whole path (module, D-Bus, Secret Service) without side effects.
    await this.op((k) => k.getPassword(this.service, '__b24chat_probe__'))
  }
}
