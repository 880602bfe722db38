/**
 * A small terminal for tests: replays what a program wrote to a terminal and returns
 * the rows the screen (scrollback included) ends up showing, so a test can check what
 * the developer sees instead of matching escape sequences. It knows what readline and
 * the dev console write: text, CR, LF (as a tty with onlcr: to the start of the next
 * row), BS, TAB, cursor up/down/forward/back/column (CSI A B C D G), erase in line
 * (CSI K), erase below (CSI J), autowrap on/off (CSI ?7h / ?7l, with xterm's deferred
 * wrap at the right edge); colours and other sequences are ignored. Every character is
 * one column wide. Rows are unbounded: nothing scrolls away.
 */
export function renderScreen(output: string, columns = Number.POSITIVE_INFINITY): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  let autowrap = true;
  let pendingWrap = false;
  const at = (r: number) => {
    while (rows.length <= r) rows.push([]);
    return rows[r]!;
  };
  const put = (ch: string) => {
    if (pendingWrap) {
      row++;
      col = 0;
      pendingWrap = false;
    }
    const line = at(row);
    while (line.length < col) line.push(" ");
    line[col] = ch;
    if (col + 1 >= columns) {
      if (autowrap) pendingWrap = true;
    } else {
      col++;
    }
  };
  const csi = (params: string, final: string) => {
    const private_ = params.startsWith("?");
    const nums = (private_ ? params.slice(1) : params).split(";").map((p) => (p === "" ? 0 : Number(p)));
    const n = nums[0] || 1;
    if (private_) {
      if (nums.includes(7) && (final === "h" || final === "l")) autowrap = final === "h";
      return;
    }
    pendingWrap = false;
    const line = at(row);
    switch (final) {
      case "A":
        row = Math.max(0, row - n);
        break;
      case "B":
        row += n;
        break;
      case "C":
        col = Math.min(col + n, columns - 1);
        break;
      case "D":
        col = Math.max(0, col - n);
        break;
      case "G":
        col = n - 1;
        break;
      case "K":
        if ((nums[0] ?? 0) === 0) line.length = Math.min(line.length, col);
        else if (nums[0] === 1) for (let i = 0; i <= col && i < line.length; i++) line[i] = " ";
        else line.length = 0;
        break;
      case "J":
        if ((nums[0] ?? 0) === 0) {
          line.length = Math.min(line.length, col);
          rows.length = row + 1;
        }
        break;
      default:
        break;
    }
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    if (ch === "\x1b") {
      const m = /^\[([0-9;?]*)[ -/]*([@-~])/.exec(output.slice(i + 1, i + 32));
      if (m) {
        csi(m[1]!, m[2]!);
        i += m[0].length;
      } else {
        i++; // a two-character escape (ESC 7, ESC =, ...): ignored
      }
      continue;
    }
    if (ch === "\r") {
      col = 0;
      pendingWrap = false;
    } else if (ch === "\n") {
      row++;
      col = 0;
      pendingWrap = false;
      at(row);
    } else if (ch === "\b") {
      col = Math.max(0, col - 1);
      pendingWrap = false;
    } else if (ch === "\t") {
      do put(" ");
      while (col % 8 !== 0 && !pendingWrap);
    } else if (ch >= " ") {
      put(ch);
    }
  }
  return rows.map((r) => r.join("").trimEnd());
}
