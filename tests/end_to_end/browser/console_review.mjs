// Drives the steward console in headless Chromium as a steward would: sign in, open the
// pending list, review a request (hidden cells marked, each with its reason), approve and
// release it, reject another with a reason. Run by tests/end_to_end/console.rs, which
// starts the real server and checks the outcome over gRPC afterwards.
//
// Environment: PLAYWRIGHT_MODULES (a node_modules folder), CONSOLE_URL, STEWARD_TOKEN, RELEASE_ID, REJECT_ID, SCREENSHOTS (a directory),
// CHROMIUM (the browser binary). Prints one JSON line of what it saw.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

// playwright-core lives where the test installed it (ES modules ignore NODE_PATH).
const { chromium } = createRequire(`${process.env.PLAYWRIGHT_MODULES}/`)("playwright-core");

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set`);
  return value;
};
const base = env("CONSOLE_URL");
const shots = env("SCREENSHOTS");

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  // As root in a sandbox without a network: no sandbox, no GPU, and none of Chromium's own
  // connections (the closed network refuses them, many at a time).
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const seen = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // A script a researcher typed must never run: any dialog is a failure.
  const dialogs = [];
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  const violations = [];
  page.on("console", (m) => { if (m.type() === "error") violations.push(m.text()); });

  // Not signed in: the list sends the browser to the sign-in page.
  await page.goto(`${base}/requests`);
  assert.match(page.url(), /\/signin$/);
  await page.fill("#token", env("STEWARD_TOKEN"));
  await Promise.all([page.waitForURL(/\/requests$/), page.click("button[type=submit]")]);

  // The pending list.
  const listed = await page.$$eval("table.requests tbody tr td:first-child", (tds) => tds.map((td) => td.textContent.trim()));
  for (const id of [env("RELEASE_ID"), env("REJECT_ID")]) {
    assert.ok(listed.includes(id), `request ${id} is listed as pending: ${listed}`);
  }
  seen.listed = listed;
  seen.list_text = await page.textContent("table.requests");
  await page.screenshot({ path: `${shots}/pending-requests.png`, fullPage: true });

  // The review page: hidden cells are marked, and each says why when focused.
  await page.goto(`${base}/requests/${env("RELEASE_ID")}`);
  const hidden = await page.$$eval("table.output td.hidden", (tds) =>
    tds.map((td) => ({ text: td.firstChild.textContent.trim(), rule: td.dataset.rule, title: td.title })));
  assert.ok(hidden.length > 0, "the output under review has hidden cells");
  for (const cell of hidden) {
    assert.equal(cell.text, "*");
    assert.ok(cell.rule && cell.title.length > 20, `a reason for every hidden cell: ${JSON.stringify(cell)}`);
  }
  await page.focus("table.output td.hidden");
  const tip = page.locator("table.output td.hidden:focus .reason");
  assert.ok(await tip.isVisible(), "the reason shows when the cell has focus");
  seen.hidden = hidden;
  seen.focused_reason = await tip.textContent();
  seen.summary = await page.textContent("#report-summary");
  seen.purpose = await page.textContent("#purpose");
  await page.screenshot({ path: `${shots}/review-request.png`, fullPage: true });

  // Approve, then release (the same steward may release what they approved; neither is
  // their own request).
  await Promise.all([page.waitForURL(new RegExp(`/requests/${env("RELEASE_ID")}$`)), page.click("#approve")]);
  assert.equal((await page.textContent("#state")).trim(), "approved");
  await Promise.all([page.waitForURL(new RegExp(`/requests/${env("RELEASE_ID")}$`)), page.click("#release")]);
  assert.equal((await page.textContent("#state")).trim(), "released");

  // Reject the other with a reason; the form will not go without one.
  await page.goto(`${base}/requests/${env("REJECT_ID")}`);
  await page.click("#reject");
  assert.match(page.url(), new RegExp(`/requests/${env("REJECT_ID")}$`));
  assert.equal((await page.textContent("#state")).trim(), "checked", "no reason, no rejection");
  await page.fill("#reason", "The purpose does not cover prefecture-level output.");
  await Promise.all([page.waitForURL(new RegExp(`/requests/${env("REJECT_ID")}$`)), page.click("#reject")]);
  assert.equal((await page.textContent("#state")).trim(), "rejected");

  // The trail of the released request names the console's calls.
  await page.goto(`${base}/requests/${env("RELEASE_ID")}/audit`);
  seen.audit_actions = await page.$$eval("table.audit tbody tr td:nth-child(5)", (tds) => tds.map((td) => td.textContent));

  assert.deepEqual(dialogs, [], "no script ran");
  seen.console_errors = violations;
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
