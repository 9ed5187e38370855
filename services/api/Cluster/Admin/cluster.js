// The High Availability view: signs a system admin in (the login sets the MMAUTHTOKEN session cookie, which
// authenticates the GETs below; state-changing requests also send the MMCSRF cookie's value as X-CSRF-Token)
// and lists the cluster's nodes from GET /api/v4/cluster/status, refreshed every 2 seconds.
'use strict';

const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);
let timer = null;

function cookie(name) {
  const match = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : '';
}

async function api(method, path, body) {
  const headers = { 'X-Requested-With': 'XMLHttpRequest' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = cookie('MMCSRF');
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { /* an empty or non-JSON body */ }
  return { status: response.status, data };
}

function show(view) {
  $('login').hidden = view !== 'login';
  $('cluster').hidden = view !== 'cluster';
  $('session').hidden = view === 'login';
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
}

async function showWho() {
  if ($('whoami').textContent) return;
  const { status, data } = await api('GET', '/api/v4/users/me');
  if (status === 200) $('whoami').textContent = `Signed in as ${data.username}`;
}

function render(nodes) {
  // Ages are measured against the newest heartbeat, so the database's clock is the only one involved.
  const newest = Math.max(...nodes.map((n) => n.last_ping_at));
  const rows = nodes.map((n) => {
    const tr = document.createElement('tr');
    tr.className = n.status === 'ok' ? 'ok' : 'bad';
    tr.dataset.nodeId = n.id;
    tr.dataset.hostname = n.hostname;
    tr.dataset.status = n.status;
    cell(tr, n.status, 'status');
    cell(tr, n.service);
    cell(tr, n.hostname, 'hostname');
    cell(tr, n.version);
    cell(tr, n.config_hash.slice(0, 12));
    cell(tr, n.schema_version);
    cell(tr, n.ipaddress);
    const age = ((newest - n.last_ping_at) / 1000).toFixed(1);
    cell(tr, `${new Date(n.last_ping_at).toLocaleTimeString()} (${age} s before newest)`);
    cell(tr, n.is_leader ? 'yes' : '');
    cell(tr, n.id);
    return tr;
  });
  $('nodes').replaceChildren(...rows);
  const ok = nodes.filter((n) => n.status === 'ok').length;
  $('summary').textContent = `${nodes.length} node(s), ${ok} ok, ${nodes.length - ok} not ok. Updated ${new Date().toLocaleTimeString()}.`;
}

async function refresh() {
  clearTimeout(timer);
  try {
    const { status, data } = await api('GET', '/api/v4/cluster/status');
    if (status === 401) {
      show('login');
      return; // no polling until someone signs in
    }
    if (status === 403 || status === 200) {
      await showWho();
    }
    if (status === 403) {
      show('cluster');
      $('problem').textContent = 'This account is not a system administrator. Sign out and sign in as one.';
      $('nodes').replaceChildren();
    } else if (status === 200) {
      show('cluster');
      $('problem').textContent = '';
      render(data);
    } else {
      $('problem').textContent = `Cluster status unavailable: ${data && data.message ? data.message : 'HTTP ' + status}`;
    }
  } catch (e) {
    $('problem').textContent = `Cluster status unavailable: ${e.message}`;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

async function login(event) {
  event.preventDefault();
  $('login-error').textContent = '';
  $('login-submit').disabled = true;
  try {
    const { status, data } = await api('POST', '/api/v4/users/login', { login_id: $('login-id').value, password: $('password').value });
    if (status !== 200) {
      $('login-error').textContent = data && data.message ? data.message : `Sign-in failed (HTTP ${status}).`;
      return;
    }
    $('password').value = '';
    $('whoami').textContent = `Signed in as ${data.username}`;
    await refresh();
  } catch (e) {
    $('login-error').textContent = `Sign-in failed: ${e.message}`;
  } finally {
    $('login-submit').disabled = false;
  }
}

async function logout() {
  clearTimeout(timer);
  await api('POST', '/api/v4/users/logout').catch(() => {});
  $('whoami').textContent = '';
  show('login');
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  refresh();
});
