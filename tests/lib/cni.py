#!/usr/bin/env python3
# A minimal libcni (containernetworking/cni libcni/api.go) for the tests: runs
# a conflist's plugins as a container runtime does.
#
#   cni.py ADD|CHECK|DEL CONFLIST CONTAINERID NETNS IFNAME CNI_PATH CACHE_DIR
#
# Each plugin runs as CNI_PATH/<type> with CNI_COMMAND, CNI_CONTAINERID,
# CNI_NETNS, CNI_IFNAME, CNI_PATH in its environment and on standard input
# its own configuration plus the list's "name" and "cniVersion", and
# "prevResult": ADD in order, each getting the previous plugin's result;
# CHECK in order and DEL in reverse, each getting the result ADD cached
# (libcni's cache; none for DEL after a failed ADD). The final result, or the
# failing plugin's error, goes to standard output; exit 0 or 1. ADD does not
# tear down on failure: as with libcni, the runtime calls DEL.
import json
import os
import subprocess
import sys


def run(plugin, command, conf, env, path):
    r = subprocess.run([os.path.join(path, plugin["type"])], input=json.dumps(conf).encode(),
                       env=env, stdout=subprocess.PIPE)
    out = r.stdout.decode()
    if r.returncode != 0:
        sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
        sys.stderr.write("cni.py: %s %s failed (exit %d)\n" % (command, plugin["type"], r.returncode))
        sys.exit(1)
    return json.loads(out) if out.strip() else None


def main():
    command, conflist, cid, netns, ifname, path, cache_dir = sys.argv[1:8]
    with open(conflist) as f:
        net = json.load(f)
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=cid, CNI_NETNS=netns,
               CNI_IFNAME=ifname, CNI_PATH=path)
    cache = os.path.join(cache_dir, "%s-%s-%s" % (net["name"], cid, ifname))
    cached = None
    if command != "ADD" and os.path.exists(cache):
        with open(cache) as f:
            cached = json.load(f)
    plugins = net["plugins"] if command != "DEL" else list(reversed(net["plugins"]))
    result = None
    for plugin in plugins:
        conf = dict(plugin, name=net["name"], cniVersion=net["cniVersion"])
        prev = result if command == "ADD" else cached
        if prev is not None:
            conf["prevResult"] = prev
        out = run(plugin, command, conf, env, path)
        if command == "ADD":
            result = out
    if command == "ADD":
        os.makedirs(cache_dir, exist_ok=True)
        with open(cache, "w") as f:
            json.dump(result, f)
        print(json.dumps(result))
    elif command == "DEL" and os.path.exists(cache):
        os.unlink(cache)


if __name__ == "__main__":
    main()
