#!/usr/bin/python3
"""Smart-plug emulators for hasan's host tests and bench/fence_plug.sh: one device on 127.0.0.1
(or any address of the network namespace it runs in), behaving as the device's public
documentation says. Stdlib only.

  plug_emu.py --type tasmota|shelly1|shelly2|esphome|kasa|http [--port 0] [--relays N]
              [--state on|off] [--fault F] [--auth basic|digest] [--journal FILE]
              [--tls-cert PEM --tls-key PEM]

The password (when the device has one) comes from the environment, PLUG_EMU_PASSWORD, never from
argv; the user from PLUG_EMU_USER (default admin). The bound port is printed as "PORT <n>".

Faults: stuck (acknowledges switching, never switches), garbage (replies that are not the
protocol), oversized (1 MiB replies), slow (replies after 30 s), old-firmware (Tasmota: a wrong
password is HTTP 200 with a WARNING body instead of 401), klap (Kasa: the legacy port accepts
and closes, as KLAP-only firmware does).

Every state change is appended to the journal as "<relay> on|off".
"""

import argparse
import hashlib
import http.server
import json
import os
import secrets
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

OVERSIZED = 1024 * 1024
SLOW = 30


class Relays:
    def __init__(self, n, on, journal, stuck):
        self.state = [on] * n
        self.lock = threading.Lock()
        self.journal = journal
        self.stuck = stuck

    def get(self, i):
        with self.lock:
            return self.state[i]

    def set(self, i, on):
        with self.lock:
            was = self.state[i]
            if self.stuck:
                return was
            self.state[i] = on
            if self.journal and was != on:
                with open(self.journal, "a") as f:
                    f.write(f"{i} {'on' if on else 'off'}\n")
            return was

    def __len__(self):
        return len(self.state)


def h256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def hmd5(s):
    return hashlib.md5(s.encode()).hexdigest()


def parse_auth_params(s):
    out = {}
    i = 0
    while i < len(s):
        while i < len(s) and s[i] in " ,":
            i += 1
        eq = s.find("=", i)
        if eq < 0:
            break
        k = s[i:eq].strip().lower()
        i = eq + 1
        if i < len(s) and s[i] == '"':
            end = s.find('"', i + 1)
            if end < 0:
                break
            v = s[i + 1:end]
            i = end + 1
        else:
            end = s.find(",", i)
            end = len(s) if end < 0 else end
            v = s[i:end].strip()
            i = end
        out[k] = v
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "plug-emu"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing ---------------------------------------------------------------------------
    def send(self, code, body, ctype="application/json", headers=()):
        emu = self.server.emu
        if emu.fault == "slow":
            time.sleep(SLOW)
        if emu.fault == "garbage":
            body, ctype = "<html><body>\x00\x01 502 Bad Gateway", "text/html"
        if emu.fault == "oversized":
            body = '{"pad":"' + "x" * OVERSIZED + '"}'
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def js(self, code, obj, headers=()):
        self.send(code, json.dumps(obj, separators=(",", ":")), headers=headers)

    def query(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))

    def check_login(self):
        """HTTP Basic or Digest (RFC 7616, SHA-256 or MD5) as configured; True if let in."""
        emu = self.server.emu
        if emu.password is None:
            return True
        got = self.headers.get("Authorization", "")
        scheme, _, rest = got.partition(" ")
        if emu.auth == "basic":
            import base64
            want = base64.b64encode(f"{emu.user}:{emu.password}".encode()).decode()
            if scheme.lower() == "basic" and rest.strip() == want:
                return True
            self.send(401, '{"code":401,"message":"Unauthorized"}',
                      headers=[("WWW-Authenticate", f'Basic realm="{emu.realm}"')])
            return False
        # Digest
        if scheme.lower() == "digest":
            p = parse_auth_params(rest)
            algo = p.get("algorithm", "MD5").upper()
            h = h256 if algo == "SHA-256" else hmd5
            ok = (
                p.get("username") == emu.user
                and p.get("realm") == emu.realm
                and p.get("nonce") in emu.nonces
                and p.get("uri") == self.path
                and p.get("qop") == "auth"
                and algo == emu.digest_algo
            )
            if ok:
                ha1 = h(f"{emu.user}:{emu.realm}:{emu.password}")
                ha2 = h(f"{self.command}:{p['uri']}")
                want = h(f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}")
                if secrets.compare_digest(want, p.get("response", "")):
                    return True
        nonce = secrets.token_hex(8)
        emu.nonces.add(nonce)
        self.send(401, '{"code":401,"message":"Unauthorized"}', headers=[(
            "WWW-Authenticate",
            f'Digest qop="auth", realm="{emu.realm}", nonce="{nonce}", algorithm={emu.digest_algo}',
        )])
        return False

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n:
            self.rfile.read(n)
        self.route("POST")

    def route(self, method):
        emu = self.server.emu
        try:
            getattr(self, "dev_" + emu.type)(method)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- Tasmota: /cm?cmnd=Power<N> [On|Off] ------------------------------------------------
    def dev_tasmota(self, method):
        emu = self.server.emu
        path, q = self.query()
        if path != "/cm":
            return self.send(404, "Not Found", "text/plain")
        if emu.password is not None and (q.get("user") != emu.user or q.get("password") != emu.password):
            code = 200 if emu.fault == "old-firmware" else 401
            return self.js(code, {"WARNING": "Need user=<username>&password=<password>"})
        words = q.get("cmnd", "").split()
        if not words or not words[0].lower().startswith("power"):
            return self.js(200, {"Command": "Unknown"})
        idx = words[0][5:]
        n = int(idx) if idx.isdigit() else (1 if idx == "" else -1)
        if n < 1 or n > len(emu.relays):
            return self.js(200, {"Command": "Unknown"})
        if len(words) > 1:
            arg = words[1].lower()
            if arg in ("on", "1"):
                emu.relays.set(n - 1, True)
            elif arg in ("off", "0"):
                emu.relays.set(n - 1, False)
            elif arg in ("toggle", "2"):
                emu.relays.set(n - 1, not emu.relays.get(n - 1))
            else:
                return self.js(200, {"Command": "Error"})
        key = "POWER" if len(emu.relays) == 1 else f"POWER{n}"
        self.js(200, {key: "ON" if emu.relays.get(n - 1) else "OFF"})

    # -- Shelly Gen1: /relay/<N>[?turn=on|off] ----------------------------------------------
    def dev_shelly1(self, method):
        emu = self.server.emu
        if not self.check_login():
            return
        path, q = self.query()
        parts = path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "relay" or not parts[1].isdigit() or int(parts[1]) >= len(emu.relays):
            return self.send(404, "Not found", "text/plain")
        i = int(parts[1])
        turn = q.get("turn")
        if turn in ("on", "off"):
            emu.relays.set(i, turn == "on")
        elif turn == "toggle":
            emu.relays.set(i, not emu.relays.get(i))
        elif turn is not None:
            return self.send(400, "Bad turn!", "text/plain")
        self.js(200, {"ison": emu.relays.get(i), "has_timer": False, "timer_started": 0,
                      "timer_duration": 0, "timer_remaining": 0, "overpower": False,
                      "source": "http"})

    # -- Shelly Gen2: /rpc/Switch.Set, /rpc/Switch.GetStatus ---------------------------------
    def dev_shelly2(self, method):
        emu = self.server.emu
        if not self.check_login():
            return
        path, q = self.query()
        if path not in ("/rpc/Switch.Set", "/rpc/Switch.GetStatus"):
            return self.js(404, {"code": 404, "message": f"No handler for {path.rsplit('/', 1)[-1]}"})
        ident = q.get("id", "0")
        if not ident.isdigit() or int(ident) >= len(emu.relays):
            return self.js(500, {"code": -105, "message": f"Argument 'id', value {ident} not found!"})
        i = int(ident)
        if path == "/rpc/Switch.GetStatus":
            return self.js(200, {"id": i, "source": "HTTP_in", "output": emu.relays.get(i),
                                 "temperature": {"tC": 41.2, "tF": 106.2}})
        on = q.get("on")
        if on not in ("true", "false"):
            return self.js(500, {"code": -103, "message": "Missing required argument 'on'!"})
        was = emu.relays.set(i, on == "true")
        self.js(200, {"was_on": was})

    # -- ESPHome: POST /switch/<id>/turn_on|turn_off, GET /switch/<id> ----------------------
    def dev_esphome(self, method):
        emu = self.server.emu
        if not self.check_login():
            return
        path, _ = self.query()
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if len(parts) < 2 or parts[0] != "switch" or parts[1] != emu.switch_id:
            return self.send(404, "", "text/plain")
        if len(parts) == 2 and method == "GET":
            on = emu.relays.get(0)
            return self.js(200, {"id": f"switch-{emu.switch_id}", "value": on, "state": "ON" if on else "OFF"})
        if len(parts) == 3 and parts[2] in ("turn_on", "turn_off", "toggle"):
            if method != "POST":
                return self.send(405, "", "text/plain")
            target = {"turn_on": True, "turn_off": False}.get(parts[2], not emu.relays.get(0))
            emu.relays.set(0, target)
            return self.send(200, "", "text/plain")
        self.send(404, "", "text/plain")

    # -- Generic HTTP: /api/relay/on|off|status ---------------------------------------------
    def dev_http(self, method):
        emu = self.server.emu
        if not self.check_login():
            return
        path, _ = self.query()
        if path == "/api/relay/status" and method == "GET":
            return self.send(200, f"relay={'ON' if emu.relays.get(0) else 'OFF'}\n", "text/plain")
        if path in ("/api/relay/on", "/api/relay/off"):
            emu.relays.set(0, path.endswith("/on"))
            return self.send(200, "OK\n", "text/plain")
        if path == "/api/elsewhere":
            return self.send(302, "", "text/plain", headers=[("Location", "http://192.0.2.1/api/relay/off")])
        self.send(404, "Not Found\n", "text/plain")


class HttpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# -- Kasa legacy protocol: TCP, 4-byte length, XOR autokey 171 ----------------------------------
def kasa_encrypt(b):
    key = 171
    out = bytearray()
    for c in b:
        key ^= c
        out.append(key)
    return struct.pack(">I", len(b)) + bytes(out)


def kasa_decrypt(b):
    key = 171
    out = bytearray()
    for c in b:
        out.append(key ^ c)
        key = c
    return bytes(out)


class KasaHandler(socketserver.BaseRequestHandler):
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def handle(self):
        emu = self.server.emu
        if emu.fault == "klap":
            return  # KLAP-only firmware: the legacy port closes without a word
        while True:
            head = self.recv_exact(4)
            if head is None:
                return
            (n,) = struct.unpack(">I", head)
            if n > 65536:
                return
            body = self.recv_exact(n)
            if body is None:
                return
            if emu.fault == "slow":
                time.sleep(SLOW)
            if emu.fault == "garbage":
                self.request.sendall(kasa_encrypt(b"\x00garbage, not JSON"))
                continue
            if emu.fault == "oversized":
                self.request.sendall(struct.pack(">I", OVERSIZED) + b"\x00" * OVERSIZED)
                continue
            try:
                req = json.loads(kasa_decrypt(body))
            except ValueError:
                return
            self.request.sendall(kasa_encrypt(json.dumps(emu.kasa_answer(req)).encode()))


class KasaServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Emulator:
    def __init__(self, a):
        self.type = a.type
        self.fault = a.fault
        self.password = os.environ.get("PLUG_EMU_PASSWORD")
        self.user = os.environ.get("PLUG_EMU_USER", "admin")
        self.auth = a.auth or ("digest" if a.type == "shelly2" else "basic")
        self.digest_algo = "SHA-256" if a.digest_algo is None else a.digest_algo
        self.realm = {"shelly2": "shellyplus1pm-a8032ab12345", "shelly1": "shelly1-B929CC"}.get(a.type, "plug-emu")
        self.nonces = set()
        self.relays = Relays(a.relays, a.state == "on", a.journal, a.fault == "stuck")
        self.switch_id = a.switch_id
        self.device_id = "8006B8E953A5E4F3A85A4C5D3B6A0C1A1E0A1B2C"

    def kasa_sysinfo(self):
        info = {
            "sw_ver": "1.5.6 Build 191125 Rel.083657", "hw_ver": "2.0",
            "type": "IOT.SMARTPLUGSWITCH", "model": "HS100(EU)", "dev_name": "Smart Wi-Fi Plug",
            "mac": "50:C7:BF:00:00:01", "deviceId": self.device_id,
            "hwId": "044A516EE63C875F9458DA25C2CCC5A0", "fwId": "00000000000000000000000000000000",
            "oemId": "1998A14DAA86E4E001FD7CAF42868B5E", "alias": "hasan-node",
            "icon_hash": "", "feature": "TIM", "updating": 0, "rssi": -52, "led_off": 0,
            "latitude_i": 0, "longitude_i": 0, "active_mode": "none", "err_code": 0,
            "next_action": {"type": -1},
        }
        if len(self.relays) > 1:
            info.update({"model": "HS300(US)", "dev_name": "Smart Wi-Fi Power Strip",
                         "alias": "hasan-strip", "child_num": len(self.relays)})
            info.pop("active_mode")
            info["children"] = [
                {"id": f"{self.device_id}{i:02d}", "state": int(self.relays.get(i)),
                 "alias": f"node{i + 1}", "on_time": 0, "next_action": {"type": -1}}
                for i in range(len(self.relays))
            ]
        else:
            info["relay_state"] = int(self.relays.get(0))
            info["on_time"] = 0
        return info

    def kasa_answer(self, req):
        out = {}
        children = req.get("context", {}).get("child_ids") if isinstance(req.get("context"), dict) else None
        for module, methods in req.items():
            if module == "context":
                continue
            if module != "system" or not isinstance(methods, dict):
                out[module] = {"err_code": -1, "err_msg": "module not support"}
                continue
            res = {}
            for m, arg in methods.items():
                if m == "get_sysinfo":
                    res[m] = self.kasa_sysinfo()
                elif m == "set_relay_state" and isinstance(arg, dict) and arg.get("state") in (0, 1):
                    on = arg["state"] == 1
                    if len(self.relays) > 1:
                        if not children:
                            res[m] = {"err_code": -2, "err_msg": "member not support"}
                            continue
                        idx = [i for i in range(len(self.relays))
                               if f"{self.device_id}{i:02d}" in children or f"{i:02d}" in children]
                        if not idx:
                            res[m] = {"err_code": -14, "err_msg": "entry not exist"}
                            continue
                        for i in idx:
                            self.relays.set(i, on)
                    else:
                        self.relays.set(0, on)
                    res[m] = {"err_code": 0}
                else:
                    res[m] = {"err_code": -2, "err_msg": "member not support"}
            out["system"] = res
        return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--type", required=True, choices=["tasmota", "shelly1", "shelly2", "esphome", "kasa", "http"])
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--relays", type=int, default=1)
    p.add_argument("--state", choices=["on", "off"], default="on")
    p.add_argument("--fault", default="none",
                   choices=["none", "stuck", "garbage", "oversized", "slow", "old-firmware", "klap"])
    p.add_argument("--auth", choices=["basic", "digest"])
    p.add_argument("--digest-algo", choices=["SHA-256", "MD5"])
    p.add_argument("--switch-id", default="relay")
    p.add_argument("--journal")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    a = p.parse_args()
    emu = Emulator(a)
    if a.type == "kasa":
        srv = KasaServer((a.bind, a.port), KasaHandler)
    else:
        srv = HttpServer((a.bind, a.port), Handler)
        if a.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(a.tls_cert, a.tls_key)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.emu = emu
    print(f"PORT {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
