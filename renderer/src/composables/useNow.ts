/**
 * A clock for countdowns ("next try in 20 s"): `now` ticks every second while `active` is true, and not at all
 * otherwise; the timer stops with the component.
 */
import { onBeforeUnmount, ref, watch } from 'vue'
import type { Ref } from 'vue'

export function useNow(active: Ref<boolean>, everyMs = 1000): Ref<number> {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | null = null
  const stop = (): void => {
    if (timer !== null) clearInterval(timer)
    timer = null
  }
  watch(
    active,
    (on) => {
      stop()
      now.value = Date.now()
      if (on) timer = setInterval(() => (now.value = Date.now()), everyMs)
    },
    { immediate: true },
  )
  onBeforeUnmount(stop)
  return now
}
