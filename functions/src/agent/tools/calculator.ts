import Fraction from "fraction.js";
import { z } from "zod";
import { defineTool, ToolInputError } from "./tool.js";

/**
 * Exact arithmetic for + - * / % ^ and parentheses. Numbers are rationals (fraction.js,
 * BigInt numerator and denominator), so integers are exact at any size and decimals
 * are exact too: 0.1+0.2 is 0.3, 123456789*987654321 is 121932631112635269. A result
 * is approximate only when it must be (a non-terminating decimal such as 1/3, an
 * irrational power such as 2^0.5, or an integer too long to print), and then it says
 * so with "≈". The parser is a small recursive descent: eval is unsafe and a general
 * math library is far more than five operators need; it never executes code.
 */

/** Largest exact result computed, in decimal digits: bounds CPU and memory for a request like 9^9^9. */
const MAX_EXACT_DIGITS = 20_000;
/** Longest exact integer printed; longer ones are shown in scientific notation, marked "≈". */
const MAX_PRINTED_DIGITS = 1_000;
/** Significant digits of an approximate result. */
const APPROX_DIGITS = 20;
const MAX_EXPONENT_LITERAL = 1_000;

type Value = { exact: Fraction } | { approx: number };

export interface Evaluation {
  /** The result as the model should read it: exact digits, or "≈ …" with the reason. */
  text: string;
  exact: boolean;
}

const digits = (n: bigint) => (n < 0n ? -n : n).toString().length;
const asNumber = (v: Value) => ("exact" in v ? v.exact.valueOf() : v.approx);
const isZero = (v: Value) => ("exact" in v ? v.exact.n === 0n : v.approx === 0);

export function evaluate(expression: string): Evaluation {
  const src = expression.replace(/\s+/g, "");
  if (src.length === 0 || src.length > 200) throw new ToolInputError("expression must be 1-200 characters");
  let pos = 0;
  const peek = () => src[pos];
  const fail = (): never => {
    throw new ToolInputError(`cannot parse "${expression}" at position ${pos + 1}`);
  };
  const number = (): Value => {
    const m = /^(\d+(?:\.\d+)?)(?:[eE]([+-]?\d+))?/.exec(src.slice(pos));
    if (!m) return fail();
    pos += m[0].length;
    const exponent = Number(m[2] ?? 0);
    if (Math.abs(exponent) > MAX_EXPONENT_LITERAL) throw new ToolInputError(`exponent ${m[2]} is too large`);
    return { exact: new Fraction(m[1]!).mul(new Fraction(10).pow(exponent)) };
  };
  const primary = (): Value => {
    if (peek() === "(") {
      pos++;
      const v = sum();
      if (peek() !== ")") fail();
      pos++;
      return v;
    }
    if (peek() === "-" || peek() === "+") {
      const negative = src[pos++] === "-";
      const v = power();
      return negative ? negate(v) : v;
    }
    return number();
  };
  const power = (): Value => {
    const base = primary();
    if (peek() !== "^") return base;
    pos++;
    return pow(base, power()); // right-associative
  };
  const product = (): Value => {
    let v = power();
    while (peek() === "*" || peek() === "/" || peek() === "%") {
      const op = src[pos++];
      const r = power();
      if ((op === "/" || op === "%") && isZero(r)) throw new ToolInputError("division by zero");
      v = arithmetic(op as "*" | "/" | "%", v, r);
    }
    return v;
  };
  const sum = (): Value => {
    let v = product();
    while (peek() === "+" || peek() === "-") {
      const op = src[pos++] as "+" | "-";
      v = arithmetic(op, v, product());
    }
    return v;
  };
  const result = sum();
  if (pos !== src.length) fail();
  return format(result);
}

function negate(v: Value): Value {
  return "exact" in v ? { exact: v.exact.neg() } : { approx: -v.approx };
}

function arithmetic(op: "+" | "-" | "*" | "/" | "%", a: Value, b: Value): Value {
  if ("exact" in a && "exact" in b) {
    const x = a.exact;
    const y = b.exact;
    const exact =
      op === "+"
        ? x.add(y)
        : op === "-"
          ? x.sub(y)
          : op === "*"
            ? x.mul(y)
            : op === "/"
              ? x.div(y)
              : x.mod(y);
    if (digits(exact.n) + digits(exact.d) > MAX_EXACT_DIGITS)
      throw tooLarge(digits(exact.n) - digits(exact.d));
    return { exact };
  }
  const x = asNumber(a);
  const y = asNumber(b);
  return finite(op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : op === "/" ? x / y : x % y);
}

function pow(base: Value, exponent: Value): Value {
  if ("exact" in base && "exact" in exponent) {
    const b = base.exact;
    const e = exponent.exact;
    if (b.n === 0n && e.s < 0n && e.n !== 0n) throw new ToolInputError("division by zero");
    // Size of an exact result before computing it: |e| times the digits of the base
    // (0 and ±1 stay small at any power).
    if (b.n !== 0n && b.n !== b.d) {
      const size = Math.abs(e.valueOf()) * Math.max(digits(b.n), digits(b.d));
      if (size > MAX_EXACT_DIGITS)
        throw tooLarge(Math.floor(e.valueOf() * Math.log10(Math.abs(b.valueOf()))) + 1);
    }
    // Integer exponents are always exact; a rational one is exact when the root is
    // rational (4^0.5 = 2) and fraction.js returns null otherwise.
    const exact = b.pow(e);
    if (exact !== null) return { exact };
  }
  const x = asNumber(base);
  const y = asNumber(exponent);
  if (x < 0 && !Number.isInteger(y)) {
    throw new ToolInputError("a negative number to a fractional power is not a real number");
  }
  return finite(x ** y);
}

function finite(x: number): Value {
  if (!Number.isFinite(x)) throw new ToolInputError("result is too large for an approximate calculation");
  return { approx: x };
}

function tooLarge(aboutDigits: number): ToolInputError {
  return new ToolInputError(
    `the exact result would have about ${aboutDigits.toLocaleString("en-US")} digits, more than the ${MAX_EXACT_DIGITS.toLocaleString("en-US")} this calculator computes`,
  );
}

function format(v: Value): Evaluation {
  if ("approx" in v) return { text: `≈ ${approx(v.approx)}`, exact: false };
  const f = v.exact;
  const sign = f.s < 0n && f.n !== 0n ? "-" : "";
  if (f.d === 1n) {
    const s = f.n.toString();
    if (s.length <= MAX_PRINTED_DIGITS) return { text: sign + s, exact: true };
    return { text: `≈ ${sign}${scientific(f.n)} (an exact integer of ${s.length} digits)`, exact: false };
  }
  const terminating = terminatingDecimal(f.n, f.d);
  if (terminating !== null && terminating.length <= MAX_PRINTED_DIGITS)
    return { text: sign + terminating, exact: true };
  return {
    text: `≈ ${sign}${roundedDecimal(f.n, f.d)} (exactly ${sign}${f.n}/${f.d})`,
    exact: false,
  };
}

/** n/d as an exact decimal string when d has no prime factors but 2 and 5, else null. */
function terminatingDecimal(n: bigint, d: bigint): string | null {
  let rest = d;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) {
    rest /= 2n;
    twos++;
  }
  while (rest % 5n === 0n) {
    rest /= 5n;
    fives++;
  }
  if (rest !== 1n) return null;
  const places = Math.max(twos, fives);
  const scaled = ((n * 10n ** BigInt(places)) / d).toString().padStart(places + 1, "0");
  return `${scaled.slice(0, -places)}.${scaled.slice(-places)}`;
}

/** n/d (positive) rounded half-up to APPROX_DIGITS significant digits, as a plain decimal. */
function roundedDecimal(n: bigint, d: bigint): string {
  const intDigits = n >= d ? (n / d).toString().length : 0;
  // Leading zeros after the point for values under 1.
  let zeros = 0;
  if (intDigits === 0) while ((n * 10n ** BigInt(zeros + 1)) / d === 0n) zeros++;
  const places = Math.max(0, APPROX_DIGITS - intDigits) + zeros;
  const scaled = (n * 10n ** BigInt(places) * 2n + d) / (2n * d);
  const s = scaled.toString().padStart(places + 1, "0");
  if (places === 0) return s;
  return `${s.slice(0, -places)}.${s.slice(-places)}`.replace(/\.?0+$/, "");
}

/** A long positive integer rounded half-up to APPROX_DIGITS significant digits, as "d.ddd…e+N". */
function scientific(n: bigint): string {
  const drop = BigInt(n.toString().length - APPROX_DIGITS);
  const unit = 10n ** drop;
  const s = ((n + unit / 2n) / unit).toString(); // may carry into one more digit (999… → 1000…)
  const exponent = Number(drop) + s.length - 1;
  return `${s[0]}.${s.slice(1, APPROX_DIGITS).replace(/0+$/, "")}e+${exponent}`.replace(".e", "e");
}

function approx(x: number): string {
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e21 || abs < 1e-6)) return x.toExponential(14).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(15)));
}

export const calculator = defineTool({
  name: "calculator",
  description:
    "Evaluates an arithmetic expression with + - * / % ^ and parentheses, exactly: integers of any size and " +
    "decimals are exact; a result that cannot be exact (1/3, 2^0.5) is marked ≈. Use it for any arithmetic.",
  input: z.object({ expression: z.string().describe("e.g. (2+3)*4^2") }),
  async run({ expression }) {
    return evaluate(expression).text;
  },
});
