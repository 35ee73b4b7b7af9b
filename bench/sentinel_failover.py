"""How long a forced Redis Sentinel failover takes, seen by a client (loopback, private servers).

Starts a primary, a replica and one sentinel on free ports; a redis-py client from
`Sentinel.master_for` (as helpdesk.cache uses it, one attempt, short timeouts) writes in a loop.
After `SENTINEL FAILOVER mymaster` it prints: when the sentinel names the replica, when the old
primary becomes a replica (until then it still takes writes: the split-brain window), when the
client first writes to the new primary, and how many client writes failed.

    .venv/bin/python bench/sentinel_failover.py [runs]
"""

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

MASTER = "mymaster"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.01)


def role(port: int) -> str:
    return str(redis.Redis(port=port, socket_timeout=1).info("replication")["role"])


def run(directory: Path) -> tuple[float, float, float, int]:
    primary, replica, sentinel_port = free_port(), free_port(), free_port()
    server = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = []
    try:
        for port, extra in ((primary, []), (replica, ["--replicaof", "127.0.0.1", str(primary)])):
            (directory / str(port)).mkdir()
            processes.append(
                subprocess.Popen(
                    [*server, "--port", str(port), "--dir", str(directory / str(port)), *extra],
                    stdout=subprocess.DEVNULL,
                )
            )
            wait(lambda port=port: redis.Redis(port=port).ping())
        wait(lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up")
        config = directory / "sentinel.conf"
        config.write_text(
            f"port {sentinel_port}\nbind 127.0.0.1\ndir {directory}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {primary} 1\n"
            f"sentinel down-after-milliseconds {MASTER} 2000\n"
        )
        processes.append(
            subprocess.Popen(["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL)
        )
        sentinel = redis.Redis(port=sentinel_port, socket_timeout=2)
        wait(lambda: sentinel.ping())
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
        client = Sentinel([("127.0.0.1", sentinel_port)], sentinel_kwargs=options).master_for(
            MASTER, retry=Retry(NoBackoff(), 0), **options
        )
        client.set("k", 0)

        def forced() -> bool:
            try:
                return bool(sentinel.execute_command("SENTINEL FAILOVER", MASTER))
            except redis.ResponseError:
                return False

        wait(forced)
        started = time.monotonic()
        promoted = demoted = on_new = 0.0
        failed = 0
        counter = 0
        while not (promoted and demoted and on_new):
            now = time.monotonic() - started
            if (
                not promoted
                and int(sentinel.sentinel_get_master_addr_by_name(MASTER)[1]) == replica
            ):
                promoted = now
            if not demoted and role(primary) == "slave":
                demoted = now
            counter += 1
            try:
                client.set("k", counter)
            except redis.RedisError:
                failed += 1
            else:
                # The address the client's pool last connected to (asked of the sentinel).
                address = client.connection_pool.master_address
                if not on_new and address and int(address[1]) == replica:
                    on_new = now
            if now > 60:
                raise TimeoutError
            time.sleep(0.01)
        return promoted, demoted, on_new, failed
    finally:
        for process in processes:
            process.terminate()
            process.wait()


def main() -> None:
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed")
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for number in range(runs):
        with tempfile.TemporaryDirectory() as directory:
            promoted, demoted, on_new, failed = run(Path(directory))
        print(
            f"run {number + 1}: replica named by the sentinel {promoted:.2f} s, old primary a "
            f"replica {demoted:.2f} s, client writing to the new primary {on_new:.2f} s, "
            f"failed client writes {failed}"
        )


if __name__ == "__main__":
    main()
