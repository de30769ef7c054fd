#!/usr/bin/env python3
"""Adds device accounts to a stopped Mosquitto's dynsec.json in one write, for
bench/broadcast_fanout.sh at large N (BULK_ABOVE): exactly the client and role that
nguon-server's provisioning creates through the dynamic-security plugin
(adapters/broker/dynsec_accounts.cpp: role "nguon-dev-<id>" with the device's ACLs, client
<id> with that role, PBKDF2-SHA512 password hash, 101 iterations as the plugin makes them), but
without the plugin rewriting the whole file after every device (quadratic at 10,000).

Usage: dynsec_bulk_accounts.py DYNSEC_JSON BUNDLE_DIR
"""
import base64
import glob
import hashlib
import json
import os
import sys


def acl(kind, topic):
    return {"acltype": kind, "topic": topic, "priority": 0, "allow": True}


def main():
    path, bundles = sys.argv[1], sys.argv[2]
    with open(path) as f:
        config = json.load(f)
    clients = {c["username"]: c for c in config["clients"]}
    roles = {r["rolename"]: r for r in config["roles"]}
    added = 0
    for name in sorted(glob.glob(os.path.join(bundles, "*.json"))):
        with open(name) as f:
            bundle = json.load(f)
        dev = bundle["device"]
        acls = []
        for leaf in ("manifest", "settings", "cmd"):
            topic = f"nguon/v1/d/{dev}/{leaf}"
            acls += [acl("subscribeLiteral", topic), acl("publishClientReceive", topic)]
        for area in bundle["areas"]:
            topic = f"nguon/v1/a/{area}/cmd"
            acls += [acl("subscribeLiteral", topic), acl("publishClientReceive", topic)]
        for leaf in ("state", "events"):
            acls.append(acl("publishClientSend", f"nguon/v1/d/{dev}/{leaf}"))
        role = "nguon-dev-" + dev
        roles[role] = {"rolename": role, "acls": acls}
        salt = os.urandom(12)
        digest = hashlib.pbkdf2_hmac("sha512", bundle["password"].encode(), salt, 101, 64)
        clients[dev] = {"username": dev, "clientid": dev, "roles": [{"rolename": role}],
                        "password": base64.b64encode(digest).decode(),
                        "salt": base64.b64encode(salt).decode(), "iterations": 101}
        added += 1
    config["clients"] = list(clients.values())
    config["roles"] = list(roles.values())
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(config, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    print(f"dynsec_bulk_accounts: {added} device accounts written to {path}")


if __name__ == "__main__":
    main()
