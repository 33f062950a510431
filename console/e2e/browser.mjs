// The console in a real browser (Debian's chromium, driven by
// playwright-core: no browser is downloaded), against a local stack with
// the demo community that cmd/local's test set up. It prints one JSON line:
// what it measured. Any failed expectation throws (exit status 1).
import { readFile } from "node:fs/promises";
import { chromium } from "playwright-core";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const base = env("BASE");
const shots = env("SHOTS");

function expect(ok, what) {
  if (!ok) throw new Error(`expected: ${what}`);
}

// The sign-in code, from the local SMS outbox: the latest sign-in SMS, not
// the latest SMS (a shift's notice may arrive after the code).
async function codeFor(phone) {
  const r = await fetch(`${base}/dev/sms?to=${phone}`);
  const { messages } = await r.json();
  const codes = messages.map((m) => /验证码为(\d{6})/.exec(m.body)).filter(Boolean);
  expect(codes.length > 0, `a sign-in code in the SMS to ${phone}`);
  return codes[codes.length - 1][1];
}

async function signIn(page, phone) {
  await page.goto(`${base}/console/`);
  await page.fill("input[name=phone]", phone);
  await page.click("button[type=submit]");
  const next = await page.waitForSelector("input[name=code], .el-alert--error");
  if ((await next.getAttribute("name")) !== "code") throw new Error(`sign-in of ${phone}: ${await next.textContent()}`);
  await page.fill("input[name=code]", await codeFor(phone));
  await page.click("button[type=submit]");
  const signedIn = await page.waitForSelector(".shell, .el-alert--error");
  if (!(await signedIn.getAttribute("class")).includes("shell")) throw new Error(`sign-in of ${phone}: ${await signedIn.textContent()}`);
}

// Pixels drawn on the chart's canvas: a blank canvas has none.
const drawn = () => {
  const c = document.querySelector(".coverage canvas");
  if (!c) return 0;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
};

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  // A fake camera: the scan on the check-in page opens it as a phone would.
  args: ["--no-sandbox", "--no-zygote", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
});
const out = {};
const problems = [];
function watch(page) {
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of (4\d\d)/.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:")) problems.push(`a request to another host: ${r.url()}`);
  });
}
let current; // the page under test, for what it showed when a step failed
try {
  await staffAndLane();
  expect(problems.length === 0, `no error in the pages: ${problems.join("; ")}`);
} catch (e) {
  if (current) {
    await current.screenshot({ path: `${shots}/failed.png` }).catch(() => {});
    e.message += `\nthe page showed: ${await current.evaluate(() => document.body.innerText).catch(() => "?")}`;
  }
  throw e;
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));

async function staffAndLane() {
  const round = env("ROUND");
  const siteA = env("SITE_A");
  const siteB = env("SITE_B");
  // Staff: 今日, its chart of the 40 buildings, a call-down, a countdown.
  const staff = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN", timezoneId: "Asia/Shanghai", acceptDownloads: true });
  const page = await staff.newPage();
  current = page;
  watch(page);
  await signIn(page, env("STAFF_PHONE"));
  await page.waitForSelector(".coverage canvas");
  // First load of 今日 with a session: navigation to a drawn chart.
  await page.reload();
  await page.waitForFunction(drawn, null, { timeout: 10000 });
  out.firstLoadMs = await page.evaluate(() => Math.round(performance.now()));
  const chart = await page.$eval(".coverage", (el) => ({ buildings: el.dataset.buildings, legend: el.dataset.legend }));
  expect(chart.buildings === "40", `40 buildings in the chart, not ${chart.buildings}`);
  expect(chart.legend === "已采样,已预约,未到", `the legend, not ${chart.legend}`);
  out.chartPixels = await page.evaluate(drawn);
  // The rest of the day at a glance: orders by stage, temperatures, the
  // latest notice.
  await page.waitForFunction(() => {
    const counts = [...document.querySelectorAll(".stages strong")];
    return counts.length === 5 && counts.every((e) => /^\d+$/.test(e.textContent.trim()));
  });
  out.orders = (await page.textContent(".stages")).replace(/\s+/g, " ").trim();
  // The reserve's items below their minimum.
  out.reserveShort = (await (await page.waitForSelector(".short [data-short='抗原检测试剂']")).textContent()).replace(/\s+/g, " ").trim();
  // Each site's pace, and who is on duty.
  out.sites = await page.locator(".sites tbody tr").count();
  expect(out.sites >= 2, `the sites' pace, not ${out.sites} rows`);
  out.duty = (await (await page.waitForSelector(".duty p")).textContent()).trim();
  expect(/在岗 \d+ 人/.test(out.duty), `the duty board, not ${out.duty}`);
  await page.click("button[data-building='1号楼']");
  const called = await page.waitForSelector("text=/已叫楼：\\d+ 户，短信 \\d+ 条/");
  out.called = await called.textContent();
  const first = await page.textContent(".countdown");
  await page.waitForTimeout(1500);
  const later = await page.textContent(".countdown");
  expect(first && later && first !== later, `a countdown that ticks (${first} → ${later})`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/console-today.png`, fullPage: false });

  // 轮次: a site's lanes raised, the night's note saved.
  await page.click(".el-menu-item:has-text('轮次')");
  await page.waitForSelector("input.lanes");
  await page.fill("input.lanes >> nth=0", "5");
  await page.click(".el-table button:has-text('保存') >> nth=0");
  out.resized = (await (await page.waitForSelector("text=/采样台已改为 5 个/")).textContent()).trim();
  await page.fill("textarea[name=note]", "东门加台后排队变短");
  await page.click("button:has-text('保存备注')");
  await page.waitForSelector("text=复盘备注已保存");
  // 居民: who lives behind a door, and their household card.
  await page.click(".el-menu-item:has-text('居民')");
  await page.waitForSelector("select[name=building] option:nth-child(2)", { state: "attached" });
  await page.selectOption("select[name=building]", { label: "1号楼" });
  await page.fill("input[name=unit]", "1");
  await page.fill("input[name=room]", "201");
  await page.click(".search button[type=submit]");
  await (await page.waitForSelector("button[data-household]")).click();
  out.card = (await (await page.waitForSelector(".card .el-card__header")).textContent()).trim();
  expect(out.card.includes("1号楼 1单元 201室"), `the household card of 1号楼 1单元 201室, not ${out.card}`);
  // A correction at the door: someone found living there, added with why.
  const members = await page.locator(".card li.member").count();
  await page.fill("input[name=new-name]", "入户新发现");
  await page.click(".card button:has-text('添加成员')");
  await page.waitForSelector("text=/原因.*必填|必填/");
  await page.fill("input[name=reason]", "入户摸排发现");
  await page.click(".card button:has-text('添加成员')");
  await page.waitForSelector("text=已添加：入户新发现");
  await page.waitForFunction((n) => document.querySelectorAll(".card li.member").length === n + 1, members);
  out.corrected = await page.locator(".card li.member").count();
  // 通知: the exact SMS and its cost before it goes; sent in the app; its delivery.
  await page.click(".el-menu-item:has-text('通知')");
  await page.fill("input[name=title]", "核酸检测安排");
  await page.fill("textarea[name=body]", "请按楼栋时间下楼");
  await page.click(".compose button[type=submit]");
  out.sms = (await (await page.waitForSelector(".preview blockquote")).textContent()).trim();
  expect(out.sms.includes("核酸检测安排"), `the SMS preview, not ${out.sms}`);
  await page.uncheck(".options input[type=checkbox] >> nth=0");
  await page.click(".compose button[type=submit]");
  await page.waitForSelector(".preview:not(:has(blockquote))");
  await page.click("button:has-text('确认发送')");
  await page.waitForSelector("text=/已发送：\\d+ 栋楼/");
  await page.click("button:has-text('送达情况') >> nth=0");
  out.delivery = (await (await page.waitForSelector(".delivery p")).textContent()).trim();
  // 物资: the purchase list, as a file Excel opens in Chinese.
  await page.click(".el-menu-item:has-text('物资')");
  const [file] = await Promise.all([page.waitForEvent("download"), page.click("button.purchase")]);
  const csv = await readFile(await file.path(), "utf8");
  out.purchaseList = `${file.suggestedFilename()} ${csv.split("\n")[0].replace("\ufeff", "BOM ")}`;
  expect(csv.startsWith("\ufeff"), `a CSV with its BOM, not ${csv.slice(0, 20)}`);
  // A building's pick list, on screen and as a file.
  await page.waitForSelector("select[name=building] option:nth-child(2)", { state: "attached" });
  await page.selectOption("select[name=building]", { label: "1号楼" });
  await page.waitForSelector(".picks .el-table");
  const [picks] = await Promise.all([page.waitForEvent("download"), page.click("button.pick-csv")]);
  out.pickList = picks.suggestedFilename();
  expect(out.pickList === "分拣单-1号楼.csv", `the pick list's file, not ${out.pickList}`);

  // 志愿者: a post's A/B rota, and an activation's answers as they come.
  await page.click(".el-menu-item:has-text('志愿者')");
  await (await page.waitForSelector("button[data-post='东门登记']")).click();
  out.rota = (await (await page.waitForSelector(".rota p")).textContent()).replace(/\s+/g, " ").trim();
  await page.click("button.activate");
  out.activation = (await (await page.waitForSelector(".activation p")).textContent()).trim();
  expect(/呼叫 \d+ 人/.test(out.activation), `the activation's view, not ${out.activation}`);
  await page.click(".el-menu-item:has-text('今日')");
  await page.waitForSelector(".coverage canvas");

  // A volunteer at a lane, on a phone: a walk-in by unit and room, and a
  // refusal at another site.
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN", isMobile: true, hasTouch: true });
  const lane = await phone.newPage();
  current = lane;
  watch(lane);
  // This Chromium has no BarcodeDetector on Linux: the page gets one that
  // reads what the test puts in front of the (fake) camera.
  await phone.addInitScript(() => {
    window.BarcodeDetector = class {
      async detect() {
        return window.__qr ? [{ rawValue: window.__qr }] : [];
      }
    };
  });
  await signIn(lane, env("VOLUNTEER_PHONE"));
  await lane.goto(`${base}/console/#/field/checkin?round=${round}&site=${siteA}`);
  await lane.reload();
  await lane.waitForSelector("select[name=building] option:nth-child(2)", { state: "attached" });
  await lane.selectOption("select[name=building]", { label: "1号楼" });
  await lane.fill("input[name=unit]", "1");
  await lane.fill("input[name=room]", "201");
  await lane.click(".picker button[type=submit]");
  const member = await lane.waitForSelector("button[data-resident]");
  const residentId = await member.getAttribute("data-resident");
  await member.click();
  await lane.waitForSelector("text=已登记（现场登记，无预约）");
  await lane.waitForSelector(".member .done");
  out.walkIn = residentId;
  await lane.screenshot({ path: `${shots}/console-checkin.png`, fullPage: true });
  // A scanned QR code that is not a booking's is refused on the page; a
  // booking code scanned goes to the API at once.
  await lane.click("button.scan");
  await lane.waitForSelector(".scanner video");
  await lane.evaluate(() => (window.__qr = "WIFI:S:guest;;"));
  await lane.waitForSelector("text=这个二维码不是预约码");
  // The camera shows nothing until the scanner is open again: else it
  // could read the refused code a second time (it did, on a busy CI).
  await lane.evaluate(() => (window.__qr = ""));
  await lane.click("button.scan");
  await lane.waitForSelector(".scanner video");
  const [scan] = await Promise.all([
    lane.waitForRequest((r) => r.url().endsWith(`/v1/rounds/${round}/checkins`) && r.method() === "POST"),
    lane.evaluate(() => (window.__qr = "https://example.cn/b?code=ZZ9ZZ9")),
  ]);
  out.scanned = JSON.parse(scan.postData()).code;
  expect(out.scanned === "ZZ9ZZ9", `the scanned code sent, not ${out.scanned}`);
  await lane.waitForSelector(".el-alert--error");
  const scroll = await lane.evaluate(() => document.documentElement.scrollWidth);
  expect(scroll <= 360, `the check-in page fits 360 px (it is ${scroll} wide)`);
  await lane.goto(`${base}/console/#/field/checkin?round=${round}&site=${siteB}`);
  await lane.reload();
  await lane.waitForSelector("select[name=building] option:nth-child(2)", { state: "attached" });
  await lane.selectOption("select[name=building]", { label: "1号楼" });
  await lane.fill("input[name=unit]", "1");
  await lane.fill("input[name=room]", "202");
  await lane.click(".picker button[type=submit]");
  await (await lane.waitForSelector("button[data-resident]")).click();
  const refused = await lane.waitForSelector(".el-alert--error");
  out.refused = (await refused.textContent()).trim();
  expect(/不是|岗位|采样点/.test(out.refused), `a refusal at another site, not ${out.refused}`);

  // The 楼栋长 on their phone: their building door by door, and the call.
  const leadPhone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN", isMobile: true, hasTouch: true });
  const lead = await leadPhone.newPage();
  current = lead;
  watch(lead);
  await signIn(lead, env("LEAD_PHONE"));
  await lead.goto(`${base}/console/#/field/building?round=${round}`);
  await lead.reload();
  await lead.waitForSelector("text=楼栋长：2号楼");
  out.leadDoors = await lead.locator(".doors li").count();
  expect(out.leadDoors > 0, "the 楼栋长's doors");
  await lead.click("button.call");
  out.leadCalled = (await (await lead.waitForSelector("text=/已叫楼：\\d+ 户/")).textContent()).trim();
  await lead.screenshot({ path: `${shots}/console-building.png`, fullPage: false });
  current = page;

  // 结果: the lab's file with one tube pooled positive; its trace, its
  // doors told, a single sample taken at the door.
  await page.click(".el-menu-item:has-text('结果')");
  await page.setInputFiles("input[name=results]", { name: "结果.csv", mimeType: "text/csv", buffer: Buffer.from("试管码,结果\nE2E00001,混管阳性\n") });
  out.results = (await (await page.waitForSelector("text=/检测结果：1 行/")).textContent()).trim();
  expect(/混管阳性 1 管，已通知 2 户/.test(out.results), `the results' answer, not ${out.results}`);
  await page.waitForSelector(".trace[data-tube='E2E00001'] .person");
  out.tracePeople = await page.locator(".trace[data-tube='E2E00001'] .person").count();
  const door = page.locator(".trace .person button[data-resident] >> nth=0");
  const who = await door.getAttribute("data-resident");
  await page.fill(`input[name=single-${who}]`, "DS000001");
  await door.click();
  await page.waitForSelector("text=单采 DS000001");
  out.traceHeld = await page.locator(".trace[data-tube='E2E00001'] >> text=原地管控中").count();
  expect(out.traceHeld === 2, `the trace's two doors held, not ${out.traceHeld}`);
  await page.screenshot({ path: `${shots}/console-results.png`, fullPage: false });

  // 封控: the trace's controls on the map; a unit put under control.
  await page.click(".el-menu-item:has-text('封控')");
  await page.waitForSelector("text=混管阳性待单采");
  out.traceControls = await page.locator("tbody tr:has-text('混管阳性待单采')").count();
  expect(out.traceControls === 2, `the map shows the trace's two controls, not ${out.traceControls}`);
  const unit = await page.locator("select[name=unit] option >> nth=1").getAttribute("value");
  await page.selectOption("select[name=unit]", unit);
  await page.selectOption("select[name=level]", "controlled");
  await page.click("button:has-text('确定')");
  out.unitZoned = (await (await page.waitForSelector("text=/已设为管控：/")).textContent()).trim();
  expect(/单元/.test(out.unitZoned), `a unit under control, not ${out.unitZoned}`);

  // 预案: a step added and saved; then a drill started from the page
  // (pressed twice), its run with each step's time from the switch, and
  // the banner on every page.
  await page.click(".el-menu-item:has-text('预案')");
  await page.waitForSelector(".list.emergency .step");
  const steps = await page.locator(".list.emergency .step").count();
  await page.click(".list.emergency button:has-text('添加步骤')");
  await page.fill(`.list.emergency .step >> nth=${steps} >> input[name=title]`, "清点防护物资");
  await page.fill(`.list.emergency .step >> nth=${steps} >> textarea`, "口罩\n防护服");
  await page.click("button.save-playbook");
  out.playbookSaved = (await (await page.waitForSelector("text=/预案已保存（第 \\d+ 版）/")).textContent()).trim();
  expect((await page.locator(".list.emergency .step").count()) === steps + 1, "the saved step read back");
  await page.click("button.drill-start");
  await page.click("button.drill-start:has-text('再按一次确认')");
  await page.waitForSelector(".drill-banner");
  out.drillBanner = (await page.textContent(".drill-banner")).trim();
  await page.waitForSelector(".run tbody tr");
  out.runSteps = await page.locator(".run tbody tr").count();
  expect(out.runSteps === steps + 1, `the drill's run with every step, not ${out.runSteps}`);
  out.runFirstStep = (await page.textContent(".run tbody tr:has-text('已完成') >> nth=0")).replace(/\s+/g, " ").trim();
  expect(/\+\d+分\d\d秒/.test(out.runFirstStep), `a step done with its time from the switch, not ${out.runFirstStep}`);
  const pending = await page.locator(".run button[data-step]").count();
  expect(pending > 0, "a step to tick in the run");
  await page.click(".run button[data-step] >> nth=0");
  await page.waitForFunction((n) => document.querySelectorAll(".run button[data-step]").length < n, pending);
  await page.click(".el-menu-item:has-text('今日')");
  await page.waitForSelector(".drill-banner");

  // The street admin: the street's communities side by side (the drill
  // shows on its community), and one opened from there.
  const office = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
  const street = await office.newPage();
  current = street;
  watch(street);
  // The admin signed in a moment ago (a new code would wait a minute):
  // the session comes as the sign-in page would keep it.
  await office.addInitScript((t) => sessionStorage.setItem("fangxian.token", t), env("ADMIN_TOKEN"));
  await street.goto(`${base}/console/`);
  await street.waitForSelector("select[name=community] option:nth-child(2)", { state: "attached" });
  await street.click(".el-menu-item:has-text('街道')");
  await street.waitForSelector(".street .community dd.sampled");
  out.streetCommunities = await street.locator(".street .community").count();
  expect(out.streetCommunities === 2, `the demo street's 2 communities side by side, not ${out.streetCommunities}`);
  const demo = (await street.textContent(`.community[data-community='${env("COMMUNITY")}']`)).replace(/\s+/g, " ");
  expect(demo.includes("演练中") && /已采样\s*\d+ \/ \d+/.test(demo), `the demo community's column, not ${demo}`);
  await street.screenshot({ path: `${shots}/console-street.png`, fullPage: false });

  // 核查: the district's list uploaded as it came, a door answered, the
  // file back to the sender.
  await street.selectOption("select[name=community]", env("COMMUNITY"));
  await street.click(".el-menu-item:has-text('核查')");
  const list = "序号,姓名,手机号,现住址,类别,截止时间\n1,蒋梅芳,13700000001,杨家园1号楼1单元101,密接,\n2,过路旅客,,七里河区某小区,时空伴随,\n";
  await street.setInputFiles("input[name=screening-list]", { name: "夜间协查.csv", mimeType: "text/csv", buffer: Buffer.from(list) });
  out.screeningUploaded = (await (await street.waitForSelector("text=/已上传：2 行/")).textContent()).trim();
  expect(/不在本街道 1 条/.test(out.screeningUploaded), `the list's answer, not ${out.screeningUploaded}`);
  await street.click(".task button.home-monitor >> nth=0");
  out.screeningAnswered = (await (await street.waitForSelector("text=/：在家，健康监测/")).textContent()).trim();
  const [download] = await Promise.all([street.waitForEvent("download"), street.click(".lists button.feedback >> nth=0")]);
  out.screeningFeedback = download.suggestedFilename();
  expect(/核查反馈\.xlsx$/.test(out.screeningFeedback), `the feedback file, not ${out.screeningFeedback}`);
  await street.screenshot({ path: `${shots}/console-screening.png`, fullPage: false });

  // 隔离: a resident found by phone put under home isolation: the
  // household sealed and told; then ended early.
  await street.click(".el-menu-item:has-text('隔离')");
  await street.fill("input[name=watch-phone]", "13700000002");
  await street.click("button:has-text('查找')");
  await street.click("button.watch-open >> nth=0");
  out.watchOpened = (await (await street.waitForSelector("text=/居家隔离 7 天，该户已封控/")).textContent()).trim();
  // A reading taken at the door with a cough: the window's check, staff
  // alerted, the door on today's list.
  const row = "tr[data-watch]:has-text('居家隔离')";
  await street.fill(`${row} input[name=check-celsius]`, "37.9");
  await street.selectOption(`${row} select[name=check-symptom]`, "cough");
  await street.click(`${row} button.check-enter`);
  out.watchChecked = (await (await street.waitForSelector("text=/已录入.间体温 37.9℃，已提醒工作人员/")).textContent()).trim();
  await street.waitForSelector(`${row} .el-tag--danger:has-text('37.9℃ 咳嗽')`);
  out.watchDoor = (await (await street.waitForSelector(".watch-doors tr[data-visit]:has-text('咳嗽')")).textContent()).trim();
  await street.screenshot({ path: `${shots}/console-watches.png`, fullPage: false });
  await street.click(`${row} button:has-text('解除')`);
  out.watchEnded = (await (await street.waitForSelector("text=/已解除居家隔离/")).textContent()).trim();
  // 转运: the same resident put on a batch, told, and moved on a step.
  await street.click("button.transfer-add >> nth=0");
  // An hour from now on the page's own clock and time zone.
  const inAnHour = await street.evaluate(() => {
    const d = new Date(Date.now() + 3600e3);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  });
  await street.fill("input[name=transfer-at]", inAnHour);
  await street.fill("input[name=transfer-destination]", "集中隔离点");
  await street.click("button.transfer-make");
  out.transferMade = (await (await street.waitForSelector("text=/转运 1 人：已短信通知/")).textContent()).trim();
  await street.click(".transfers [data-transfer] button.transfer-next >> nth=0");
  await street.waitForSelector(".transfers [data-transfer] .el-tag:has-text('已准备')");
  // 储备: the demo's masks are below their minimum; a donation fills them.
  await street.click(".el-menu-item:has-text('储备')");
  await street.waitForSelector("tr[data-reserve='N95口罩'] .el-tag--danger:has-text('300个 低于下限')");
  await street.fill("tr[data-reserve='N95口罩'] input[name=reserve-quantity]", "300");
  await street.fill("tr[data-reserve='N95口罩'] input[name=reserve-donor]", "兰州某企业");
  await street.click("tr[data-reserve='N95口罩'] button.reserve-in");
  out.reserveReceived = (await (await street.waitForSelector("text=/N95口罩入库 300个，现有 600个/")).textContent()).trim();
  await street.waitForSelector("tr[data-reserve='N95口罩'] .el-tag--success:has-text('600个')");
  // 照护: a dialysis plan every day with a car and a daily check; tomorrow's
  // trip is on the board and gets its car.
  await street.click(".el-menu-item:has-text('照护')");
  await street.fill("input[name=care-phone]", "13700000002");
  await street.click(".care button:has-text('查找')");
  await street.fill("input[name=care-weekdays]", "1,2,3,4,5,6,7");
  await street.fill("input[name=care-place]", "兰大一院");
  await street.click("button.care-plan >> nth=0");
  out.carePlanned = (await (await street.waitForSelector("text=/照护计划已保存：1 项就医，每日报平安/")).textContent()).trim();
  await street.fill(".trips tr[data-trip] input[name=car-driver]", "张师傅");
  await street.fill(".trips tr[data-trip] input[name=car-phone]", "13800138000");
  await street.click(".trips tr[data-trip] button.car-give");
  out.careCar = (await (await street.waitForSelector("text=/透析：已派车/")).textContent()).trim();
  await street.waitForSelector(".checks li[data-check] .el-tag:has-text('待询问')");
  // 出入: the controlled level's rule changed (the answer counts the
  // households it reaches); a building's pass cards laid out for print.
  await street.click(".el-menu-item:has-text('出入')");
  await street.waitForSelector(".rules tr[data-level=controlled]");
  await street.fill("input[name=controlled-minutes]", "90");
  await street.click("button.save-rules");
  out.rulesSaved = (await (await street.waitForSelector("text=/出入规则已保存：影响 \\d+ 户/")).textContent()).trim();
  await street.selectOption("select[name=cards-building]", { index: 30 }); // a building no earlier step zoned
  await street.click("button.print-cards");
  out.cards = await (await street.waitForSelector(".cards .card strong")).textContent();
  expect(/^[23456789A-HJKMNP-Z]{6}$/.test(out.cards.trim()), `a pass card's code, not ${out.cards}`);
  // 卡口 on a phone: the card's code typed at the checkpoint lets the
  // household out (its building is at no level: free); a made-up code is
  // refused in large type with the reason.
  await street.setViewportSize({ width: 360, height: 740 });
  await street.click(".el-menu-item:has-text('卡口')");
  await street.waitForSelector(".gate .direction");
  await street.fill("input[name=pass]", out.cards.trim());
  await street.click(".gate form.code button[type=submit]");
  out.gateLetOut = (await (await street.waitForSelector(".verdict.yes strong")).textContent()).trim();
  expect(out.gateLetOut === "放行", `放行 at the gate, not ${out.gateLetOut}`);
  await street.fill("input[name=pass]", "ZZZZZZ");
  await street.click(".gate form.code button[type=submit]");
  out.gateRefused = (await (await street.waitForSelector(".verdict.no")).textContent()).replace(/\s+/g, " ").trim();
  expect(out.gateRefused.includes("通行证无效"), `a made-up code refused with its reason, not ${out.gateRefused}`);
  await street.screenshot({ path: `${shots}/console-gate.png`, fullPage: false });
  await street.setViewportSize({ width: 1440, height: 900 });
  await street.goto(`${base}/console/#/today`);
  await street.click(".el-menu-item:has-text('街道')");
  await street.waitForSelector(".street .community dd.sampled");
  await street.click(".community:has-text('酒泉路社区') button");
  await street.waitForSelector(".coverage[data-buildings='2']");
  out.streetOpened = await street.$eval("select[name=community]", (el) => el.selectedOptions[0].textContent);
  // 日报: the demo community confirms its day; the street's sheet marks the
  // neighbour unconfirmed; the street names a column its own way; the
  // workbook downloads.
  await street.selectOption("select[name=community]", env("COMMUNITY"));
  await street.click(".el-menu-item:has-text('日报')");
  // The day's figures read the day's round whole: slow under -race on two
  // busy cores, so these waits are long.
  const slow = { timeout: 120000 };
  await street.waitForSelector(".figures tr[data-figure='residents']", slow);
  await street.waitForSelector(".sheet tr[data-row]", slow);
  await street.fill("input[name=daily-note]", "已核对");
  await street.click("button.daily-confirm");
  out.dailyConfirmed = (await (await street.waitForSelector("text=/日报已确认/", slow)).textContent()).trim();
  await street.waitForSelector(`.sheet tr[data-row='${env("COMMUNITY")}'] .el-tag--success`, slow);
  await street.waitForSelector(".sheet tr[data-row] .el-tag--danger:has-text('未确认')");
  await street.fill(".columns li:first-child input[name=template-title]", "户籍人口");
  await street.click("button.template-save");
  out.templateSaved = (await (await street.waitForSelector("text=/日报表头已保存/")).textContent()).trim();
  await street.waitForSelector(".sheet th:has-text('户籍人口')");
  const [workbook] = await Promise.all([street.waitForEvent("download"), street.click("button.daily-xlsx")]);
  out.dailyFile = workbook.suggestedFilename();
  expect(out.dailyFile.endsWith(".xlsx"), `the street's daily sheet as a workbook, not ${out.dailyFile}`);
  await street.screenshot({ path: `${shots}/console-daily.png`, fullPage: false });
  // 街道统一切换: both communities at once; the demo community's drill is
  // under way, so it says so, and the neighbour starts one; then both end.
  await street.click(".el-menu-item:has-text('街道')");
  await street.check("input[name=street-community] >> nth=0");
  await street.check("input[name=street-community] >> nth=1");
  await street.click("button.street-on");
  out.streetDrill = (await (await street.waitForSelector("text=/个社区已开始演练/")).textContent()).trim();
  await street.waitForSelector("li[data-switched=false]:has-text('已有演练在进行')");
  await street.click("button.street-off");
  out.streetDrillEnded = (await (await street.waitForSelector("text=/2 个社区已结束演练/")).textContent()).trim();
  // 志愿者库: the demo community asks for the neighbour's volunteer; the
  // neighbour approves; a training is recorded with who attended.
  await street.selectOption("select[name=community]", env("COMMUNITY"));
  await street.click(".el-menu-item:has-text('志愿者库')");
  const lender = "tr[data-pool]:has-text('陈晓东')";
  await street.click(`${lender} button.loan-ask`);
  out.loanAsked = (await (await street.waitForSelector("text=/申请借调 陈晓东，待对方审批/")).textContent()).trim();
  await street.selectOption("select[name=community]", "community-jiuquan");
  await street.click(".el-menu-item:has-text('志愿者库')");
  await street.click("tr[data-loan=requested] button.loan-approve");
  out.loanApproved = (await (await street.waitForSelector("text=/陈晓东 的借调已同意/")).textContent()).trim();
  await street.fill("input[name=training-title]", "卡口登记规程");
  await street.fill("input[name=training-trainer]", "街道应急办");
  await street.click("button.training-add");
  await street.waitForSelector("li[data-training='卡口登记规程']");
  await street.check(`${lender} input[name=pool-pick]`);
  await street.click("li[data-training='卡口登记规程'] button.training-attend");
  out.trainingAttended = (await (await street.waitForSelector("text=/卡口登记规程：已参训 1 人/")).textContent()).trim();
}
