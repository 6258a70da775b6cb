"""A small Flask web app to start from.

Run it with `python3 app.py` (or F5 in the editor) and open port 5000 from the Ports view.
"""

import os
import platform
from datetime import datetime, timezone

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    """Home page: a short greeting with a pointer to the JSON endpoint."""
    return jsonify(
        message="Hello from Flask! Edit app.py and reload this page.",
        endpoints=["/", "/api/status"],
    )


@app.get("/api/status")
def status():
    """Health endpoint: tells whether the app runs and with which Python."""
    return jsonify(
        status="ok",
        app="python-flask",
        project=os.environ.get("PROJECT_ID", ""),
        python=platform.python_version(),
        time=datetime.now(timezone.utc).isoformat(),
    )


if __name__ == "__main__":
    # 0.0.0.0, not 127.0.0.1: the workspace's port forwarding reaches the app from outside its loopback.
    host = os.environ.get("FLASK_RUN_HOST", "0.0.0.0")
    port = int(os.environ.get("FLASK_RUN_PORT", "5000"))
    debug = os.environ.get("FLASK_DEBUG", "0") == "1"
    app.run(host=host, port=port, debug=debug)
