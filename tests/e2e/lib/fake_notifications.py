#!/usr/bin/python3
"""A stand-in freedesktop notification server, for the E2E tests only.

Owns org.freedesktop.Notifications on the bus named by DBUS_SESSION_BUS_ADDRESS (a
private dbus-daemon the test starts), prints "ready" and then one JSON line per Notify
call on stdout. A line "click ID" on stdin does what a user's click does: the server
emits ActionInvoked(ID, "default"). A line "close ID" emits NotificationClosed(ID, 2).
Runs with Debian's python3 (python3-dbus, python3-gi).
"""
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.last_id = 0

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, icon, summary, body, actions, hints, timeout):
        self.last_id += 1
        print(
            json.dumps(
                {
                    "id": self.last_id,
                    "app": str(app_name),
                    "summary": str(summary),
                    "body": str(body),
                    "actions": [str(a) for a in actions],
                }
            ),
            flush=True,
        )
        return self.last_id

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["actions", "body"]

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("sessionscope-fake", "sessionscope tests", "1", "1.2")

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, notification_id):
        self.NotificationClosed(notification_id, 3)

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, notification_id, action_key):
        pass

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, notification_id, reason):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
    server = Server(bus)
    loop = GLib.MainLoop()

    def on_stdin(_source, _condition):
        line = sys.stdin.readline()
        if not line:
            loop.quit()
            return False
        command, _, arg = line.strip().partition(" ")
        if command == "click":
            server.ActionInvoked(dbus.UInt32(int(arg)), "default")
        elif command == "close":
            server.NotificationClosed(dbus.UInt32(int(arg)), dbus.UInt32(2))
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    print("ready", flush=True)
    loop.run()
    del name


if __name__ == "__main__":
    main()
