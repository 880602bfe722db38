import { z } from "zod";
import { defineTool, ToolInputError } from "./tool.js";

// A tiny recursive-descent evaluator for + - * / % ^ and parentheses. Hand-written
// because the alternatives are eval (unsafe) or a large math library for four
// operators; it never executes code and rejects anything else.
export function evaluate(expression: string): number {
  const src = expression.replace(/\s+/g, "");
  if (src.length === 0 || src.length > 200) throw new ToolInputError("expression must be 1-200 characters");
  let pos = 0;
  const peek = () => src[pos];
  const fail = (): never => {
    throw new ToolInputError(`cannot parse "${expression}" at position ${pos + 1}`);
  };
  const number = (): number => {
    const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(pos));
    if (!m) return fail();
    pos += m[0].length;
    return Number(m[0]);
  };
  const primary = (): number => {
    if (peek() === "(") {
      pos++;
      const v = sum();
      if (peek() !== ")") fail();
      pos++;
      return v;
    }
    if (peek() === "-" || peek() === "+") {
      const sign = src[pos++] === "-" ? -1 : 1;
      return sign * power();
    }
    return number();
  };
  const power = (): number => {
    const base = primary();
    if (peek() !== "^") return base;
    pos++;
    return base ** power(); // right-associative
  };
  const product = (): number => {
    let v = power();
    while (peek() === "*" || peek() === "/" || peek() === "%") {
      const op = src[pos++];
      const r = power();
      if ((op === "/" || op === "%") && r === 0) throw new ToolInputError("division by zero");
      v = op === "*" ? v * r : op === "/" ? v / r : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = src[pos++] === "+" ? v + product() : v - product();
    return v;
  };
  const result = sum();
  if (pos !== src.length) fail();
  if (!Number.isFinite(result)) throw new ToolInputError("result is not a finite number");
  return result;
}

export const calculator = defineTool({
  name: "calculator",
  description:
    "Evaluates an arithmetic expression with + - * / % ^ and parentheses. Use it for any arithmetic.",
  input: z.object({ expression: z.string().describe("e.g. (2+3)*4^2") }),
  async run({ expression }) {
    return String(evaluate(expression));
  },
});
