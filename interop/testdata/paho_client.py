"""One client run for the interop tests, with Python paho-mqtt 1.x.

Run by interop_test.go as /usr/bin/python3 paho_client.py CONFIG, where
CONFIG is a JSON object: mode ("exchange", "publish" or "connect"), host, port,
transport ("tcp" or "websockets"), path (the WebSocket path), version
("3.1.1" or "5"), cafile, username, password, client_id, topic, payload
and timeout (seconds).

exchange: a subscriber connects and subscribes to topic with QoS 1; once
the SUBACK grants it, a second client publishes payload there with QoS 1.
The message the subscriber receives is printed as one JSON line:
{"topic": ..., "payload": ..., "qos": ...}.

publish: one client publishes payload to topic with QoS 1 and prints
{"published": true} once the PUBACK arrives.

connect: one client connects and reports what the server answered, as
{"connack": code}, or {"closed": code} when the connection ended without
a CONNACK.

Any failure is printed on standard error and exits with status 1.
"""

import json
import queue
import sys

import paho.mqtt.client as mqtt


def code(rc):
    """The number of a CONNACK or SUBACK code (an int in 3.1.1, an object in 5)."""
    return getattr(rc, "value", rc)


def fail(msg):
    print(msg, file=sys.stderr, flush=True)
    sys.exit(1)


class Conn:
    """A client whose CONNACK, SUBACK, PUBLISH and disconnection land in queues."""

    def __init__(self, cfg, client_id):
        self.cfg = cfg
        self.events = queue.Queue()
        self.messages = queue.Queue()
        protocol = mqtt.MQTTv5 if cfg["version"] == "5" else mqtt.MQTTv311
        c = mqtt.Client(client_id=client_id, protocol=protocol, transport=cfg["transport"],
                        reconnect_on_failure=False)
        if cfg["transport"] == "websockets":
            c.ws_set_options(path=cfg["path"])
        # The server certificate is verified against the CA, host name included.
        c.tls_set(ca_certs=cfg["cafile"])
        c.username_pw_set(cfg["username"], cfg["password"])
        c.on_connect = lambda _c, _u, _flags, rc, _props=None: self.events.put(("connack", code(rc)))
        c.on_subscribe = lambda _c, _u, _mid, granted, _props=None: self.events.put(
            ("suback", [code(g) for g in granted]))
        c.on_disconnect = lambda _c, _u, rc, _props=None: self.events.put(("closed", code(rc)))
        c.on_message = lambda _c, _u, m: self.messages.put(m)
        self.client = c

    def event(self, what):
        try:
            return self.events.get(timeout=self.cfg["timeout"])
        except queue.Empty:
            fail("no %s within %ss" % (what, self.cfg["timeout"]))

    def connect(self):
        """Connects and returns the first event: ("connack", rc) or ("closed", rc)."""
        self.client.connect(self.cfg["host"], self.cfg["port"], keepalive=30)
        self.client.loop_start()
        return self.event("CONNACK")

    def connected(self):
        ev = self.connect()
        if ev != ("connack", 0):
            fail("connect: %r" % (ev,))

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()


def publish(pub, cfg):
    info = pub.client.publish(cfg["topic"], cfg["payload"], qos=1)
    info.wait_for_publish(timeout=cfg["timeout"])
    if not info.is_published():
        fail("publish: no PUBACK within %ss (rc %s)" % (cfg["timeout"], info.rc))


def exchange(cfg):
    sub = Conn(cfg, cfg["client_id"] + "-sub")
    sub.connected()
    sub.client.subscribe(cfg["topic"], qos=1)
    ev = sub.event("SUBACK")
    if ev != ("suback", [1]):
        fail("subscribe: %r, want QoS 1 granted" % (ev,))

    pub = Conn(cfg, cfg["client_id"] + "-pub")
    pub.connected()
    publish(pub, cfg)

    try:
        m = sub.messages.get(timeout=cfg["timeout"])
    except queue.Empty:
        fail("subscriber: no message within %ss" % cfg["timeout"])
    print(json.dumps({"topic": m.topic, "payload": m.payload.decode("utf-8", "replace"), "qos": m.qos}), flush=True)
    pub.stop()
    sub.stop()


def publish_only(cfg):
    pub = Conn(cfg, cfg["client_id"])
    pub.connected()
    publish(pub, cfg)
    print(json.dumps({"published": True}), flush=True)
    pub.stop()


def connect(cfg):
    c = Conn(cfg, cfg["client_id"])
    kind, rc = c.connect()
    print(json.dumps({kind: rc}), flush=True)
    c.stop()


def main():
    cfg = json.loads(sys.argv[1])
    {"exchange": exchange, "publish": publish_only, "connect": connect}[cfg["mode"]](cfg)


if __name__ == "__main__":
    main()
