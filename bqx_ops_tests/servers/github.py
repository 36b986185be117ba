"""A fake of GitHub's REST API v3, faithful to what PyGithub 2.x sends and expects.

Usage::

    with GitHubServer({"bqx/ml": [{"number": 1, "title": "t", "updated_at": "..."}]}, token="ghp_T") as gh:
        g = github.Github(base_url=gh.url, auth=github.Auth.Token("ghp_T"))
        g.get_repo("bqx/ml").get_issues(state="all")

Endpoints:

* ``GET /rate_limit`` (never rate limited, does not count), ``GET /user``.
* ``GET /repos/{o}/{r}`` (also ``/repositories/{id}``, which is where GitHub's
  ``Link`` headers point, so ``/repositories/{id}/...`` works for every route below).
* ``GET /repos/{o}/{r}/issues``: ``state`` (open|closed|all, default open),
  ``since`` (updated_at >= since), ``sort`` (created|updated|comments),
  ``direction``, ``labels``, ``creator``, ``assignee``, ``per_page`` (default 30,
  clamped to 100), ``page``; pull requests are included (issues carrying a
  ``pull_request`` object); ``Link`` header with absolute URLs (prev/next/last/first).
* ``GET /repos/{o}/{r}/issues/{n}``.
* Git data: ``POST git/tags``, ``GET git/tags/{sha}``, ``POST git/refs``,
  ``GET git/refs``, ``GET git/refs/{ref}``, ``GET git/ref/{ref}``,
  ``GET git/matching-refs/{ref}``, ``PATCH/DELETE git/refs/{ref}``.
* Releases: ``POST releases``, ``GET releases`` (paginated), ``GET releases/latest``,
  ``GET releases/tags/{tag}``, ``GET/PATCH/DELETE releases/{id}``.

Every response carries ``X-RateLimit-Limit/Remaining/Reset/Used/Resource``.
:meth:`GitHubServer.rate_limit` exhausts the primary limit: requests then get
403 ``API rate limit exceeded ...`` (what PyGithub's ``GithubRetry`` recognises;
it sleeps until ``X-RateLimit-Reset`` + 1 s) until the reset epoch passes.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import math
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .base import Clock, FakeServer, Request, Response, json_response

#: token the server accepts unless told otherwise (fake, safe to log)
DEFAULT_TOKEN = "ghp_bqxTESTTOKEN000000000000000000000000"

__all__ = ["DEFAULT_TOKEN", "GitHubServer", "make_issue"]

DOCS = "https://docs.github.com/rest"
API_VERSION = "2022-11-28"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def _num_id(*parts: Any) -> int:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") % 900_000_000 + 100_000_000


def _node_id(prefix: str, num: int) -> str:
    return prefix + "_" + base64.b64encode(f"{prefix}{num}".encode()).decode().rstrip("=")


def _sha1(*parts: Any) -> str:
    return hashlib.sha1("\n".join(str(p) for p in parts).encode()).hexdigest()


def make_issue(number: int, title: str = "", *, pull_request: bool = False, **fields: Any) -> dict[str, Any]:
    """Convenience seed: ``make_issue(3, "Fix", pull_request=True, state="closed", updated_at=...)``.

    The server fills every other REST field (urls, ids, user, ...) when serving it.
    """
    issue: dict[str, Any] = {"number": number, "title": title or f"Issue {number}", **fields}
    if pull_request:
        issue["pull_request"] = issue.get("pull_request") or {}
    return issue


@dataclass
class _Repo:
    owner: str
    name: str
    id: int
    private: bool
    default_branch: str
    description: str | None
    created_at: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/tags/v1" -> sha
    tags: list[dict[str, Any]] = field(default_factory=list)  # annotated tag objects
    releases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class _Error(Exception):
    def __init__(self, response: Response):
        self.response = response


def _gh_error(status: int, message: str, doc: str = DOCS, **extra: Any) -> Response:
    body = {"message": message, **extra, "documentation_url": doc, "status": str(status)}
    return json_response(body, status)


def _not_found(doc: str = DOCS) -> _Error:
    return _Error(_gh_error(404, "Not Found", doc))


def _validation_failed(resource: str, code: str, field_name: str, doc: str = DOCS) -> _Error:
    return _Error(
        _gh_error(422, "Validation Failed", doc, errors=[{"resource": resource, "code": code, "field": field_name}])
    )


class GitHubServer(FakeServer):
    """Fake GitHub REST API.

    Args:
        repos: seed ``{"owner/name": [issue, ...]}`` or
            ``{"owner/name": {"issues": [...], "private": bool, "default_branch": "main",
            "head_sha": "<40 hex>", "description": str}}``. Issues may be partial
            (``number`` required); see :func:`make_issue`.
        token: accepted token(s) (``Authorization: token X`` / ``Bearer X`` / basic).
        login: login of the authenticated user (tagger/author of created objects).
        rate_limit_total: ``X-RateLimit-Limit`` of the core resource.
        retry_after: ``Retry-After`` of injected secondary rate limits (403/429 faults).
        clock: start of the server clock used for timestamps of created objects
            (tags, releases); default: real time.
    """

    name = "github"

    def __init__(
        self,
        repos: Mapping[str, Any] | None = None,
        *,
        token: str | Iterable[str] = DEFAULT_TOKEN,
        login: str = "bqx-bot",
        rate_limit_total: int = 5000,
        retry_after: int = 1,
        clock: Any = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(retry_after=retry_after, host=host, port=port)
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.login = login
        self.clock = Clock(clock)
        self._repos: dict[str, _Repo] = {}
        self._rl_limit = rate_limit_total
        self._rl_remaining = rate_limit_total
        self._rl_reset = int(time.time()) + 3600
        self._rl_status = 403
        self._rl_retry_after: int | None = None
        self._release_ids = 0
        self._request_no = 0
        self._req_lock = threading.Lock()
        for full_name, spec in (repos or {}).items():
            if isinstance(spec, Mapping):
                self.add_repo(full_name, **spec)
            else:
                self.add_repo(full_name, issues=spec)

    # ------------------------------------------------------------------ state API
    def add_repo(
        self,
        full_name: str,
        issues: Iterable[Mapping[str, Any]] = (),
        *,
        private: bool = True,
        default_branch: str = "main",
        head_sha: str | None = None,
        description: str | None = None,
        id: int | None = None,  # noqa: A002 - GitHub's field name
    ) -> None:
        owner, _, name = full_name.partition("/")
        if not owner or not name:
            raise ValueError(f"repository must be 'owner/name', got {full_name!r}")
        with self.lock:
            repo = _Repo(
                owner=owner,
                name=name,
                id=id or _num_id("repo", full_name),
                private=private,
                default_branch=default_branch,
                description=description,
                created_at=_iso(self.clock.now()),  # type: ignore[arg-type]
            )
            repo.refs[f"refs/heads/{default_branch}"] = head_sha or _sha1("head", full_name, default_branch)
            self._repos[full_name.lower()] = repo
            self.set_issues(full_name, issues)

    def set_issues(self, full_name: str, issues: Iterable[Mapping[str, Any]]) -> None:
        """Replace the issues (and pull requests) of a repository."""
        with self.lock:
            repo = self._repo(full_name)
            repo.issues = []
            for issue in issues:
                self.add_issue(full_name, issue)

    def add_issue(self, full_name: str, issue: Mapping[str, Any]) -> None:
        if "number" not in issue:
            raise ValueError("an issue needs a number")
        with self.lock:
            repo = self._repo(full_name)
            stored = copy.deepcopy(dict(issue))
            for key in ("created_at", "updated_at", "closed_at"):
                if stored.get(key) is not None:
                    stored[key] = _iso(stored[key])
            stored.setdefault("created_at", _iso(self.clock.now()))
            stored.setdefault("updated_at", stored["created_at"])
            stored.setdefault("state", "closed" if stored.get("closed_at") else "open")
            repo.issues = [i for i in repo.issues if i["number"] != stored["number"]] + [stored]

    def set_ref(self, full_name: str, ref: str, sha: str) -> None:
        with self.lock:
            self._repo(full_name).refs[ref] = sha

    def seed_release(self, full_name: str, tag_name: str, **fields: Any) -> dict[str, Any]:
        """Create a release as if it already existed (no request logged)."""
        with self.lock:
            return copy.deepcopy(self._create_release(self._repo(full_name), {"tag_name": tag_name, **fields}))

    @property
    def tags(self) -> dict[str, list[dict[str, Any]]]:
        """Annotated tag objects created via ``POST git/tags``: ``{"owner/name": [tag, ...]}``."""
        with self.lock:
            return {r.full_name: copy.deepcopy(r.tags) for r in self._repos.values()}

    @property
    def refs(self) -> dict[str, dict[str, str]]:
        """``{"owner/name": {"refs/heads/main": sha, "refs/tags/v1": sha, ...}}``."""
        with self.lock:
            return {r.full_name: dict(r.refs) for r in self._repos.values()}

    @property
    def releases(self) -> dict[str, list[dict[str, Any]]]:
        """``{"owner/name": [release, ...]}`` in creation order."""
        with self.lock:
            return {r.full_name: copy.deepcopy(r.releases) for r in self._repos.values()}

    def issues(self, full_name: str) -> list[dict[str, Any]]:
        """The issues of a repo as served (fully rendered), sorted by number."""
        with self.lock:
            repo = self._repo(full_name)
            return [self._render_issue(repo, i) for i in sorted(repo.issues, key=lambda i: i["number"])]

    # -- rate limit ---------------------------------------------------------
    def rate_limit(
        self,
        remaining: int = 0,
        reset_in: float = 60.0,
        *,
        limit: int | None = None,
        status: int = 403,
        retry_after: int | None = None,
    ) -> int:
        """Set the primary (core) rate limit; returns the reset epoch (int seconds).

        With ``remaining=0`` every request (except ``/rate_limit``) answers
        ``status`` (403 like GitHub; 429 is also documented) with GitHub's
        rate-limit body until ``time.time() >= reset``; then the limit refills.
        ``retry_after`` optionally adds a ``Retry-After`` header (GitHub does not
        send one for the primary limit).
        """
        with self.lock:
            if limit is not None:
                self._rl_limit = limit
            self._rl_remaining = remaining
            self._rl_reset = int(math.ceil(time.time() + reset_in))
            self._rl_status = status
            self._rl_retry_after = retry_after
            return self._rl_reset

    @property
    def rate_limit_state(self) -> dict[str, int]:
        with self.lock:
            self._refill()
            return {"limit": self._rl_limit, "remaining": self._rl_remaining, "reset": self._rl_reset}

    def _refill(self) -> None:
        if time.time() >= self._rl_reset:
            self._rl_remaining = self._rl_limit
            self._rl_reset = int(time.time()) + 3600

    def _rl_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self._rl_limit),
            "X-RateLimit-Remaining": str(max(self._rl_remaining, 0)),
            "X-RateLimit-Reset": str(self._rl_reset),
            "X-RateLimit-Used": str(self._rl_limit - max(self._rl_remaining, 0)),
            "X-RateLimit-Resource": "core",
        }

    # ------------------------------------------------------------------ internals
    def _repo(self, full_name: str) -> _Repo:
        repo = self._repos.get(full_name.lower())
        if repo is None:
            raise KeyError(f"no repository {full_name!r}")
        return repo

    def _user(self, login: str, type_: str = "User") -> dict[str, Any]:
        uid = _num_id("user", login)
        return {
            "login": login,
            "id": uid,
            "node_id": _node_id("U", uid),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": f"{self.url}/users/{login}",
            "html_url": f"https://github.com/{login}",
            "type": type_,
            "site_admin": False,
        }

    def _repo_json(self, repo: _Repo) -> dict[str, Any]:
        base = f"{self.url}/repos/{repo.full_name}"
        open_count = sum(1 for i in repo.issues if i.get("state") == "open")
        return {
            "id": repo.id,
            "node_id": _node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user(repo.owner, "Organization"),
            "html_url": f"https://github.com/{repo.full_name}",
            "description": repo.description,
            "fork": False,
            "url": base,
            "issues_url": f"{base}/issues{{/number}}",
            "pulls_url": f"{base}/pulls{{/number}}",
            "releases_url": f"{base}/releases{{/id}}",
            "git_refs_url": f"{base}/git/refs{{/sha}}",
            "git_tags_url": f"{base}/git/tags{{/sha}}",
            "tags_url": f"{base}/tags",
            "created_at": repo.created_at,
            "updated_at": repo.created_at,
            "pushed_at": repo.created_at,
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"https://github.com/{repo.full_name}.git",
            "has_issues": True,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "open_issues_count": open_count,
            "open_issues": open_count,
            "default_branch": repo.default_branch,
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        }

    def _label(self, repo: _Repo, label: Any) -> dict[str, Any]:
        if isinstance(label, str):
            label = {"name": label}
        lid = _num_id("label", repo.full_name, label["name"])
        out = {
            "id": lid,
            "node_id": _node_id("LA", lid),
            "url": f"{self.url}/repos/{repo.full_name}/labels/{urllib.parse.quote(label['name'])}",
            "name": label["name"],
            "color": "ededed",
            "default": False,
            "description": None,
        }
        out.update(label)
        return out

    def _render_issue(self, repo: _Repo, issue: dict[str, Any]) -> dict[str, Any]:
        n = issue["number"]
        base = f"{self.url}/repos/{repo.full_name}"
        html = f"https://github.com/{repo.full_name}"
        is_pr = "pull_request" in issue and issue["pull_request"] is not None
        iid = issue.get("id") or _num_id("issue", repo.full_name, n)
        out: dict[str, Any] = {
            "url": f"{base}/issues/{n}",
            "repository_url": base,
            "labels_url": f"{base}/issues/{n}/labels{{/name}}",
            "comments_url": f"{base}/issues/{n}/comments",
            "events_url": f"{base}/issues/{n}/events",
            "html_url": f"{html}/{'pull' if is_pr else 'issues'}/{n}",
            "id": iid,
            "node_id": _node_id("PR" if is_pr else "I", iid),
            "number": n,
            "title": "",
            "user": None,
            "labels": [],
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": 0,
            "created_at": None,
            "updated_at": None,
            "closed_at": None,
            "author_association": "MEMBER",
            "active_lock_reason": None,
            "body": None,
            "closed_by": None,
            "timeline_url": f"{base}/issues/{n}/timeline",
            "performed_via_github_app": None,
            "state_reason": None,
        }
        out.update(copy.deepcopy(issue))
        user = out.get("user")
        out["user"] = self._user(user) if isinstance(user, str) else (user or self._user("octocat"))
        out["labels"] = [self._label(repo, lab) for lab in out.get("labels") or []]
        assignees = [self._user(a) if isinstance(a, str) else a for a in out.get("assignees") or []]
        if isinstance(out.get("assignee"), str):
            out["assignee"] = self._user(out["assignee"])
        if out["assignee"] and not assignees:
            assignees = [out["assignee"]]
        out["assignees"] = assignees
        if assignees and not out["assignee"]:
            out["assignee"] = assignees[0]
        if out["state"] == "closed" and out.get("state_reason") is None:
            out["state_reason"] = "completed"
        if is_pr:
            pr = {
                "url": f"{base}/pulls/{n}",
                "html_url": f"{html}/pull/{n}",
                "diff_url": f"{html}/pull/{n}.diff",
                "patch_url": f"{html}/pull/{n}.patch",
                "merged_at": None,
            }
            pr.update(out["pull_request"] or {})
            out["pull_request"] = pr
            out.setdefault("draft", False)
        return out

    def _auth(self, req: Request) -> tuple[bool, Response | None]:
        """-> (authenticated, error response)."""
        header = req.header("Authorization")
        if not header:
            return False, None
        scheme, _, cred = header.partition(" ")
        cred = cred.strip()
        if scheme.lower() == "basic":
            try:
                cred = base64.b64decode(cred).decode().partition(":")[2]
            except Exception:
                cred = ""
        elif scheme.lower() not in ("token", "bearer"):
            cred = ""
        if cred in self.tokens:
            return True, None
        return False, _gh_error(401, "Bad credentials")

    # ------------------------------------------------------------------ faults
    def exempt_from_faults(self, req: Request) -> bool:
        return req.path == "/rate_limit"

    def fault_response(self, status: int, retry_after: int | None, req: Request) -> Response:
        if status in (403, 429):
            retry_after = self.default_retry_after if retry_after is None else retry_after
            resp = _gh_error(
                status,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                f"If you reach out to GitHub Support for help, please include the request ID {self._request_id()}.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            )
            resp.headers["Retry-After"] = str(int(retry_after))
        elif status == 401:
            resp = _gh_error(401, "Bad credentials")
        elif status == 404:
            resp = _gh_error(404, "Not Found")
        elif status == 422:
            resp = _gh_error(422, "Validation Failed")
        elif status == 500:
            resp = json_response({"message": "Server Error"}, 500)
        else:
            resp = super().fault_response(status, retry_after, req)
        with self.lock:
            resp.headers.update(self._rl_headers())
        return resp

    def _request_id(self) -> str:
        with self._req_lock:
            self._request_no += 1
            return f"BQX0:{self._request_no:04X}:{self._request_no * 7919 % 65536:04X}"

    # ------------------------------------------------------------------ routing
    def handle(self, req: Request) -> Response:
        request_id = self._request_id()
        with self.lock:
            try:
                resp = self._route(req)
            except _Error as exc:
                resp = exc.response
            resp.headers.update(self._rl_headers())
        resp.headers.setdefault("X-GitHub-Media-Type", "github.v3; format=json")
        resp.headers.setdefault("X-GitHub-Api-Version-Selected", API_VERSION)
        resp.headers.setdefault("X-GitHub-Request-Id", request_id)
        return resp

    def _route(self, req: Request) -> Response:
        authed, denied = self._auth(req)
        if denied is not None:
            return denied
        if req.path == "/rate_limit" and req.method == "GET":
            self._refill()
            core = {
                "limit": self._rl_limit,
                "remaining": max(self._rl_remaining, 0),
                "reset": self._rl_reset,
                "used": self._rl_limit - max(self._rl_remaining, 0),
                "resource": "core",
            }
            other = {"limit": 30, "remaining": 30, "reset": int(time.time()) + 60, "used": 0}
            return json_response(
                {
                    "resources": {
                        "core": core,
                        "search": {**other, "resource": "search"},
                        "graphql": {**core, "resource": "graphql"},
                    },
                    "rate": core,
                }
            )

        # primary rate limit
        self._refill()
        if self._rl_remaining <= 0:
            who = f"user ID {_num_id('user', self.login)}" if authed else (self.host or "127.0.0.1")
            resp = _gh_error(
                self._rl_status,
                f"API rate limit exceeded for {who}. If you reach out to GitHub Support for help, "
                f"please include the request ID {self._request_id()} and timestamp "
                f"{dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            )
            if self._rl_retry_after is not None:
                resp.headers["Retry-After"] = str(self._rl_retry_after)
            return resp
        self._rl_remaining -= 1

        parts = [urllib.parse.unquote(p) for p in req.raw_path.strip("/").split("/")]
        if parts == ["user"] and req.method == "GET":
            if not authed:
                return _gh_error(401, "Requires authentication", "https://docs.github.com/rest/users/users#get-the-authenticated-user")
            return json_response(self._user(self.login))
        if len(parts) >= 3 and parts[0] == "repos":
            repo = self._repos.get(f"{parts[1]}/{parts[2]}".lower())
            rest = parts[3:]
        elif len(parts) >= 2 and parts[0] == "repositories" and parts[1].isdigit():
            repo = next((r for r in self._repos.values() if r.id == int(parts[1])), None)
            rest = parts[2:]
        else:
            return _gh_error(404, "Not Found")
        if repo is None or (repo.private and not authed):
            return _gh_error(404, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository")
        if req.method not in ("GET", "HEAD") and not authed:
            return _gh_error(401, "Requires authentication")
        return self._repo_route(req, repo, rest)

    def _repo_route(self, req: Request, repo: _Repo, rest: list[str]) -> Response:
        m = req.method
        if not rest:
            if m == "GET":
                return json_response(self._repo_json(repo))
        elif rest[0] == "issues":
            if len(rest) == 1 and m == "GET":
                return self._list_issues(req, repo)
            if len(rest) == 2 and rest[1].isdigit() and m == "GET":
                for issue in repo.issues:
                    if issue["number"] == int(rest[1]):
                        return json_response(self._render_issue(repo, issue))
                raise _not_found("https://docs.github.com/rest/issues/issues#get-an-issue")
        elif rest[0] == "git" and len(rest) >= 2:
            return self._git_route(req, repo, rest[1], "/".join(rest[2:]))
        elif rest[0] == "releases":
            return self._release_route(req, repo, rest[1:])
        return _gh_error(404, "Not Found")

    # ------------------------------------------------------------------ pagination
    def _paginate(self, req: Request, items: list[Any], first_path: str) -> Response:
        try:
            per_page = int(req.arg("per_page") or 30)
        except ValueError:
            per_page = 30
        per_page = min(max(per_page, 1), 100)
        try:
            page = max(int(req.arg("page") or 1), 1)
        except ValueError:
            page = 1
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        params = [(k, v) for k, vs in req.query.items() if k != "page" for v in vs]

        def link(p: int) -> str:
            return f"{self.url}{first_path}?" + urllib.parse.urlencode(params + [("page", str(p))])

        rels = []
        if page > 1:
            rels.append(f'<{link(min(page - 1, last))}>; rel="prev"')
        if page < last:
            rels.append(f'<{link(page + 1)}>; rel="next"')
            rels.append(f'<{link(last)}>; rel="last"')
        if page > 1:
            rels.append(f'<{link(1)}>; rel="first"')
        headers = {"Link": ", ".join(rels)} if rels else {}
        return json_response(chunk, headers=headers)

    def _list_issues(self, req: Request, repo: _Repo) -> Response:
        doc = "https://docs.github.com/rest/issues/issues#list-repository-issues"
        state = req.arg("state", "open")
        if state not in ("open", "closed", "all"):
            raise _validation_failed("Issue", "invalid", "state", doc)
        items = [i for i in repo.issues if state == "all" or i.get("state") == state]
        since = req.arg("since")
        if since:
            try:
                cutoff = _parse_iso(since)
            except ValueError:
                raise _validation_failed("Issue", "invalid", "since", doc)
            items = [i for i in items if _parse_iso(i["updated_at"]) >= cutoff]
        labels = req.arg("labels")
        if labels:
            wanted = {s.strip().lower() for s in labels.split(",") if s.strip()}
            items = [
                i for i in items
                if wanted <= {(lab if isinstance(lab, str) else lab["name"]).lower() for lab in i.get("labels") or []}
            ]
        creator = req.arg("creator")
        if creator:
            items = [i for i in items if (self._render_issue(repo, i)["user"] or {}).get("login") == creator]
        assignee = req.arg("assignee")
        if assignee:
            def assignee_logins(i: dict[str, Any]) -> set[str]:
                return {a["login"] for a in self._render_issue(repo, i)["assignees"]}
            if assignee == "none":
                items = [i for i in items if not assignee_logins(i)]
            elif assignee == "*":
                items = [i for i in items if assignee_logins(i)]
            else:
                items = [i for i in items if assignee in assignee_logins(i)]
        sort = req.arg("sort", "created")
        if sort not in ("created", "updated", "comments"):
            raise _validation_failed("Issue", "invalid", "sort", doc)
        direction = req.arg("direction", "desc")
        if direction not in ("asc", "desc"):
            raise _validation_failed("Issue", "invalid", "direction", doc)
        key = {
            "created": lambda i: (i["created_at"], i["number"]),
            "updated": lambda i: (i["updated_at"], i["number"]),
            "comments": lambda i: (i.get("comments", 0), i["number"]),
        }[sort]
        items = sorted(items, key=key, reverse=direction == "desc")
        rendered = [self._render_issue(repo, i) for i in items]
        return self._paginate(req, rendered, f"/repositories/{repo.id}/issues")

    # ------------------------------------------------------------------ git data
    def _ref_json(self, repo: _Repo, ref: str) -> dict[str, Any]:
        base = f"{self.url}/repos/{repo.full_name}"
        sha = repo.refs[ref]
        is_tag_obj = any(t["sha"] == sha for t in repo.tags)
        kind = "tag" if is_tag_obj else "commit"
        return {
            "ref": ref,
            "node_id": _node_id("REF", _num_id("ref", repo.full_name, ref)),
            "url": f"{base}/git/{urllib.parse.quote(ref)}",
            "object": {"sha": sha, "type": kind, "url": f"{base}/git/{'tags' if is_tag_obj else 'commits'}/{sha}"},
        }

    def _git_route(self, req: Request, repo: _Repo, kind: str, rest: str) -> Response:
        m = req.method
        body = req.json if isinstance(req.json, dict) else {}
        if kind == "tags":
            if m == "POST" and not rest:
                return self._create_tag(repo, body)
            if m == "GET" and rest:
                for tag in repo.tags:
                    if tag["sha"] == rest:
                        return json_response(copy.deepcopy(tag))
                raise _not_found("https://docs.github.com/rest/git/tags#get-a-tag")
        elif kind == "refs":
            doc = "https://docs.github.com/rest/git/refs#create-a-reference"
            if m == "POST" and not rest:
                ref, sha = body.get("ref"), body.get("sha")
                if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
                    return _gh_error(422, "Reference name must start with 'refs/' and have at least two slashes.", doc)
                if not isinstance(sha, str) or not _HEX40.match(sha):
                    return _gh_error(422, "Object does not exist", doc)
                if ref in repo.refs:
                    return _gh_error(422, "Reference already exists", doc)
                repo.refs[ref] = sha
                out = self._ref_json(repo, ref)
                return json_response(out, 201, {"Location": out["url"]})
            if m == "GET":
                if not rest:
                    return json_response([self._ref_json(repo, r) for r in sorted(repo.refs)])
                full = f"refs/{rest}"
                if full in repo.refs:
                    return json_response(self._ref_json(repo, full))
                matches = [r for r in sorted(repo.refs) if r.startswith(full)]
                if matches:
                    return json_response([self._ref_json(repo, r) for r in matches])
                raise _not_found("https://docs.github.com/rest/git/refs#get-a-reference")
            if m == "PATCH" and rest:
                full = f"refs/{rest}"
                if full not in repo.refs:
                    return _gh_error(422, "Reference does not exist", "https://docs.github.com/rest/git/refs#update-a-reference")
                sha = body.get("sha")
                if not isinstance(sha, str) or not _HEX40.match(sha):
                    return _gh_error(422, "Object does not exist", "https://docs.github.com/rest/git/refs#update-a-reference")
                repo.refs[full] = sha
                return json_response(self._ref_json(repo, full))
            if m == "DELETE" and rest:
                full = f"refs/{rest}"
                if full not in repo.refs:
                    return _gh_error(422, "Reference does not exist", "https://docs.github.com/rest/git/refs#delete-a-reference")
                del repo.refs[full]
                return Response(204)
        elif kind == "ref" and m == "GET" and rest:
            full = f"refs/{rest}"
            if full in repo.refs:
                return json_response(self._ref_json(repo, full))
            raise _not_found("https://docs.github.com/rest/git/refs#get-a-reference")
        elif kind == "matching-refs" and m == "GET":
            full = f"refs/{rest}" if rest else "refs/"
            return json_response([self._ref_json(repo, r) for r in sorted(repo.refs) if r.startswith(full)])
        return _gh_error(404, "Not Found")

    def _create_tag(self, repo: _Repo, body: dict[str, Any]) -> Response:
        doc = "https://docs.github.com/rest/git/tags#create-a-tag-object"
        for key in ("tag", "message", "object", "type"):
            if not isinstance(body.get(key), str):
                return _gh_error(422, f'Invalid request.\n\n"{key}" wasn\'t supplied.', doc)
        if body["type"] not in ("commit", "tree", "blob", "tag"):
            return _gh_error(422, f'Invalid request.\n\n"{body["type"]}" is not a valid type.', doc)
        if not _HEX40.match(body["object"]):
            return _gh_error(422, "Object does not exist", doc)
        now = _iso(self.clock.now())
        tagger = dict(body.get("tagger") or {"name": self.login, "email": f"{self.login}@users.noreply.github.com"})
        tagger.setdefault("date", now)
        sha = _sha1("tag", repo.full_name, body["tag"], body["object"], body["message"], tagger.get("name"), tagger["date"])
        base = f"{self.url}/repos/{repo.full_name}"
        tag = {
            "node_id": _node_id("TAG", _num_id("tag", sha)),
            "sha": sha,
            "url": f"{base}/git/tags/{sha}",
            "tagger": tagger,
            "object": {
                "sha": body["object"],
                "type": body["type"],
                "url": f"{base}/git/{body['type']}s/{body['object']}",
            },
            "tag": body["tag"],
            "message": body["message"],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }
        repo.tags.append(tag)
        return json_response(copy.deepcopy(tag), 201, {"Location": tag["url"]})

    # ------------------------------------------------------------------ releases
    def _create_release(self, repo: _Repo, body: dict[str, Any]) -> dict[str, Any]:
        doc = "https://docs.github.com/rest/releases/releases#create-a-release"
        tag_name = body.get("tag_name")
        if not isinstance(tag_name, str) or not tag_name:
            raise _validation_failed("Release", "missing_field", "tag_name", doc)
        if any(r["tag_name"] == tag_name for r in repo.releases):
            raise _validation_failed("Release", "already_exists", "tag_name", doc)
        draft = bool(body.get("draft", False))
        target = body.get("target_commitish") or repo.default_branch
        if not draft:
            self._ensure_tag_ref(repo, tag_name, target)
        self._release_ids += 1
        rid = _num_id("release", repo.full_name) + self._release_ids
        base = f"{self.url}/repos/{repo.full_name}"
        html = f"https://github.com/{repo.full_name}"
        now = _iso(self.clock.now())
        release_body = body.get("body")
        if release_body is None and body.get("generate_release_notes"):
            release_body = f"**Full Changelog**: {html}/commits/{tag_name}"
        release = {
            "url": f"{base}/releases/{rid}",
            "assets_url": f"{base}/releases/{rid}/assets",
            "upload_url": f"https://uploads.github.com/repos/{repo.full_name}/releases/{rid}/assets{{?name,label}}",
            "html_url": f"{html}/releases/tag/{urllib.parse.quote(tag_name)}",
            "id": rid,
            "author": self._user(self.login, "Bot" if self.login.endswith("[bot]") else "User"),
            "node_id": _node_id("RE", rid),
            "tag_name": tag_name,
            "target_commitish": target,
            "name": body.get("name"),
            "draft": draft,
            "immutable": False,
            "prerelease": bool(body.get("prerelease", False)),
            "created_at": now,
            "updated_at": now,
            "published_at": None if draft else now,
            "assets": [],
            "tarball_url": f"{base}/tarball/{tag_name}",
            "zipball_url": f"{base}/zipball/{tag_name}",
            "body": release_body,
        }
        repo.releases.append(release)
        return release

    def _ensure_tag_ref(self, repo: _Repo, tag_name: str, target: str) -> None:
        """GitHub creates a lightweight tag from target_commitish when a published release's tag is missing."""
        ref = f"refs/tags/{tag_name}"
        if ref in repo.refs:
            return
        if _HEX40.match(target):
            sha = target
        elif f"refs/heads/{target}" in repo.refs:
            sha = repo.refs[f"refs/heads/{target}"]
        else:
            raise _validation_failed(
                "Release", "invalid", "target_commitish",
                "https://docs.github.com/rest/releases/releases#create-a-release",
            )
        repo.refs[ref] = sha

    def _release_route(self, req: Request, repo: _Repo, rest: list[str]) -> Response:
        m = req.method
        body = req.json if isinstance(req.json, dict) else {}
        if not rest:
            if m == "POST":
                rel = self._create_release(repo, body)
                return json_response(copy.deepcopy(rel), 201, {"Location": rel["url"]})
            if m == "GET":
                newest_first = sorted(repo.releases, key=lambda r: (r["created_at"], r["id"]), reverse=True)
                return self._paginate(req, copy.deepcopy(newest_first), f"/repositories/{repo.id}/releases")
        elif rest == ["latest"] and m == "GET":
            candidates = [r for r in repo.releases if not r["draft"] and not r["prerelease"]]
            if not candidates:
                raise _not_found("https://docs.github.com/rest/releases/releases#get-the-latest-release")
            return json_response(copy.deepcopy(max(candidates, key=lambda r: (r["published_at"], r["id"]))))
        elif len(rest) >= 2 and rest[0] == "tags" and m == "GET":
            tag = "/".join(rest[1:])
            for rel in repo.releases:
                if rel["tag_name"] == tag and not rel["draft"]:
                    return json_response(copy.deepcopy(rel))
            raise _not_found("https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name")
        elif len(rest) == 1 and rest[0].isdigit():
            rid = int(rest[0])
            rel = next((r for r in repo.releases if r["id"] == rid), None)
            if rel is None:
                raise _not_found("https://docs.github.com/rest/releases/releases#get-a-release")
            if m == "GET":
                return json_response(copy.deepcopy(rel))
            if m == "PATCH":
                for key in ("tag_name", "target_commitish", "name", "body", "draft", "prerelease"):
                    if key in body:
                        rel[key] = body[key]
                rel["updated_at"] = _iso(self.clock.now())
                if not rel["draft"] and rel["published_at"] is None:
                    rel["published_at"] = rel["updated_at"]
                    self._ensure_tag_ref(repo, rel["tag_name"], rel["target_commitish"])
                return json_response(copy.deepcopy(rel))
            if m == "DELETE":
                repo.releases.remove(rel)
                return Response(204)
        return _gh_error(404, "Not Found")
