#!/usr/bin/env bash
# Runs a command with a real OS keychain available.
# - On Linux without a running Secret Service (CI, headless machines): starts a private D-Bus session and an
#   unlocked gnome-keyring (Secret Service) in a temp dir, runs the command, then stops the daemon by PID.
# - Elsewhere, or when a session bus already exists, runs the command as it is (the OS keychain is used).
set -euo pipefail

if [ "$(uname -s)" != "Linux" ] || [ -n "${B24CHAT_KEYRING_READY:-}" ] || { [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${CI:-}" ]; }; then
  exec "$@"
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring: '$tool' is missing (apt-get install dbus gnome-keyring); keychain tests will report the keychain as unavailable." >&2
    exec "$@"
  fi
done

tmp="$(mktemp -d)"
mkdir -p "$tmp/data" "$tmp/run" "$tmp/home"
chmod 700 "$tmp/run"
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

export B24CHAT_KEYRING_READY=1 XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run"
# dbus-run-session ends the bus when the inner shell exits; the keyring daemon is stopped by PID before that.
set +e
dbus-run-session -- bash -c '
  printf "b24chat-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  daemon_pid="$(pgrep -n -u "$(id -u)" -f "gnome-keyring-daemon --unlock --components=secrets" || true)"
  "$@"
  rc=$?
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; fi
  exit $rc
' with-keyring "$@" 2> >(grep -v "Failed to set fd limit" >&2)
rc=$?
exit $rc
