/**
 * cli/output.ts and cli/exit.ts, which preflight, verify, plan and the benchmarks share: the --output choice and
 * its wording, when a table gets colour and width, each CLI's outcome -> exit code, and the top-level error
 * lines. The CLIs' own tests check the same through their commands; these pin the shared module itself.
 */
import * as assert from "node:assert/strict";
import { EXIT, planExit, preflightExit, reportFailure, reportPlanFailure, verifyExit } from "../../cli/exit";
import { outputFormat, planOutputFormat, renderOptions } from "../../cli/output";
import { InputError } from "../../preflight/model";

function sink(): { write(t: string): void; text: string } {
  return {
    text: "",
    write(t: string) {
      this.text += t;
    },
  };
}

describe("cli/output.ts", () => {
  it("--output: table by default, one of table/json/markdown, else an InputError with the CLI's hint", () => {
    assert.equal(outputFormat(undefined, "HINT"), "table");
    assert.equal(outputFormat("markdown", "HINT"), "markdown");
    assert.throws(() => outputFormat("yaml", "HINT"), {
      name: "InputError",
      message: '--output "yaml" is not one of table, json, markdown. HINT',
    });
    assert.equal(planOutputFormat(undefined), "table");
    assert.throws(() => planOutputFormat("markdown"), {
      message: '--output: "markdown" is not a format; expected table or json.',
    });
  });

  it("colour only for a table on a terminal without NO_COLOR; width only on a terminal", () => {
    const tty = { isTTY: true, columns: 120, env: {} };
    assert.deepEqual(renderOptions(tty, "table"), { color: true, width: 120 });
    assert.deepEqual(renderOptions({ ...tty, env: { NO_COLOR: "1" } }, "table"), {
      color: false,
      width: 120,
    });
    assert.deepEqual(renderOptions(tty, "json"), { color: false, width: 120 });
    assert.deepEqual(renderOptions({ isTTY: false, columns: 120, env: {} }, "table"), {
      color: false,
      width: undefined,
    });
  });
});

describe("cli/exit.ts", () => {
  it("maps each CLI's outcome to the EXIT contract", () => {
    const gates = { foundation: { open: true }, compute: { open: false } } as never;
    assert.equal(preflightExit({ decision: "ready", gates }), EXIT.ready);
    assert.equal(preflightExit({ decision: "not-needed", gates }), EXIT.notNeeded);
    assert.equal(preflightExit({ decision: "blocked", gates }), EXIT.blocked);
    assert.equal(preflightExit({ decision: "blocked", gates }, "foundation"), EXIT.ready);
    assert.equal(preflightExit({ decision: "ready", gates }, "compute"), EXIT.blocked);
    assert.deepEqual(
      (["pass", "warn", "skipped", "fail", "unknown"] as const).map((status) => verifyExit({ status })),
      [0, 0, 0, 3, 3],
    );
    assert.equal(planExit({ mandatoryViolations: 0 }), EXIT.ready);
    assert.equal(planExit({ mandatoryViolations: 2 }), EXIT.mandatoryViolation);
  });

  it("top-level errors: input errors exit 2 with their message, anything else 1 with its first line", () => {
    const err = sink();
    assert.equal(
      reportFailure("verify", new InputError("--stack needs a value."), { stderr: err, env: {} }),
      2,
    );
    const foreign = Object.assign(new Error("bad key"), { name: "InputError" });
    assert.equal(reportFailure("verify", foreign, { stderr: err, env: {} }), 2);
    assert.equal(reportFailure("verify", new Error("boom\nsecond line"), { stderr: err, env: {} }), 1);
    assert.equal(
      err.text,
      "verify: --stack needs a value.\nverify: bad key\n" +
        "verify: unexpected error: boom (set LAKEHOUSE_DEBUG=1 for the stack trace)\n",
    );
    const plan = sink();
    assert.equal(reportPlanFailure(new InputError("--from: no file"), { stderr: plan }), 2);
    assert.equal(reportPlanFailure(new Error("boom\nsecond line"), { stderr: plan }), 1);
    assert.equal(plan.text, "error: --from: no file\nerror: boom\nsecond line\n");
  });
});
