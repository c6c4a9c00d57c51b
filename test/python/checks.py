"""What every script here shares: named checks that each report one JSON line, {"check", "ok", "error"}, and
the run's exit status (0 only when every check passed). A failing check does not stop the next one."""

import json
import traceback


class Checks:
    def __init__(self):
        self.results = []

    async def record(self, name, check):
        try:
            await check()
            self.results.append({"check": name, "ok": True, "error": None})
        except Exception as error:  # reported with its check's name; the next check still runs
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            self.results.append({"check": name, "ok": False, "error": detail})

    def report(self):
        for result in self.results:
            print(json.dumps(result))
        return 0 if all(r["ok"] for r in self.results) else 1
