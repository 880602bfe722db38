import { describe, expect, it } from "vitest";
import { calculator, evaluate } from "../../../../src/agent/tools/calculator.js";
import { ToolInputError } from "../../../../src/agent/tools/tool.js";

const exact = (expr: string) => {
  const r = evaluate(expr);
  expect(r.exact).toBe(true);
  return r.text;
};

describe("calculator: exact results", () => {
  it.each([
    ["1+2*3", "7"],
    ["(1+2)*3", "9"],
    ["2^3^2", "512"], // right-associative
    ["-4+10/4", "-1.5"],
    ["-2^2", "-4"],
    ["(-2)^3", "-8"],
    ["7 % 4", "3"],
    ["-7 % 3", "-1"], // sign of the dividend
    ["7.5 % 2", "1.5"],
    ["1.5e3 - 1", "1499"],
    ["0.1+0.2", "0.3"],
    ["1/7*7", "1"],
    ["10/4", "2.5"],
  ])("%s = %s", (expr, value) => expect(exact(expr)).toBe(value));

  it("integers are exact at any size", () => {
    expect(exact("123456789*987654321")).toBe("121932631112635269"); // a double gives …260
    expect(exact("2^100")).toBe("1267650600228229401496703205376");
    expect(exact("99999999999999999999+1")).toBe("100000000000000000000");
    expect(exact("1e300*1e300")).toBe(`1${"0".repeat(600)}`);
  });

  it("big and negative exponents stay exact", () => {
    expect(exact("2^-3")).toBe("0.125");
    expect(exact("5^-2")).toBe("0.04");
    expect(exact("10^-30")).toBe(`0.${"0".repeat(29)}1`);
    expect(exact("2^-100")).toBe(
      "0.0000000000000000000000000000007888609052210118054117285652827862296732064351090230047702789306640625",
    );
    expect(exact("4^0.5")).toBe("2");
    expect(exact("8^(1/3)")).toBe("2");
    expect(exact("(-1)^1000001")).toBe("-1");
  });
});

describe("calculator: honest approximations", () => {
  it.each([
    ["1/3", "≈ 0.33333333333333333333 (exactly 1/3)"],
    ["2/3", "≈ 0.66666666666666666667 (exactly 2/3)"],
    ["-1/3", "≈ -0.33333333333333333333 (exactly -1/3)"],
    ["22/7", "≈ 3.1428571428571428571 (exactly 22/7)"],
    ["1/300000000", "≈ 0.0000000033333333333333333333 (exactly 1/300000000)"],
    ["2^0.5", "≈ 1.4142135623731"],
  ])("%s is %s", (expr, text) => {
    const r = evaluate(expr);
    expect(r).toEqual({ text, exact: false });
  });

  it("an integer too long to print is shown rounded, with its exact length", () => {
    expect(evaluate("2^10000")).toEqual({
      text: "≈ 1.9950631168807583849e+3010 (an exact integer of 3011 digits)",
      exact: false,
    });
  });
});

describe("calculator: errors", () => {
  it.each([
    ["", /1-200 characters/],
    ["2+", /cannot parse/],
    ["process.exit()", /cannot parse/],
    ["(1", /cannot parse/],
    ["2**3", /cannot parse/],
    ["1/0", /division by zero/],
    ["5 % (2-2)", /division by zero/],
    ["0^-1", /division by zero/],
    ["(-8)^0.5", /not a real number/],
    ["9^9^9", /about 369,693,100 digits/],
    ["2^70000", /digits/],
    ["1e5000", /exponent/],
    ["9".repeat(400), /1-200 characters/],
  ])("rejects %s", (expr, message) => {
    expect(() => evaluate(expr)).toThrow(ToolInputError);
    expect(() => evaluate(expr)).toThrow(message);
  });
});

describe("calculator tool", () => {
  it("returns the text the model reads and says it is exact", async () => {
    expect(await calculator.run({ expression: "123456789*987654321" }, {} as never)).toBe(
      "121932631112635269",
    );
    expect(calculator.description).toMatch(/exact/);
  });
});
