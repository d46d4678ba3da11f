-- corpus.lua: Lua 5.1 pattern cases. run() returns one line per case,
-- the results of string.find, match, gmatch and gsub or the error. The
-- same file runs under the reference interpreter (lua5.1, which wrote
-- lua51.golden) and in the sandbox (TestPatternsMatchLua51).

local cases = {
  -- subject, pattern, init (find/match), replacement (gsub)
  { "hello world", "o" }, { "hello world", "o w" }, { "hello world", "l+" },
  { "hello world", "^h" }, { "hello world", "^w" }, { "hello world", "d$" },
  { "hello world", "o$" }, { "hello", "" }, { "", "" }, { "", "a*" },
  { "hello", ".-" }, { "hello", ".*" }, { "hello", "l*" }, { "hello", "l-o" },
  { "hello", "x?h" }, { "hello", "he?l" }, { "aaa", "a-" }, { "aaa", "a-$" },
  { "key = value", "(%w+)%s*=%s*(%w+)" }, { "key = value", "()(%w+)()" },
  { "  trim me  ", "^%s*(.-)%s*$" }, { "2024-01-31", "(%d+)-(%d+)-(%d+)" },
  { "abc123def", "%a+" }, { "abc123def", "%d+" }, { "abc123def", "%D+" },
  { "x = 42.5 m2", "%d+%.?%d*" }, { "40,5", "," }, { "a.b.c", "%." },
  { "a.b.c", "." }, { "[tag]", "%[(.-)%]" }, { "f(a(b)c)d", "%b()" },
  { "if (a and (b)) then", "%b()" }, { "THE (quick) fox", "%f[%a]%a+" },
  { "THE (quick) fox", "%f[%l]%a+" }, { "hello hello", "(l+)o %1" },
  { "abcabc", "(a)(b)(c)%1%2%3" }, { "tab\there", "%c" }, { "a,b;c", "%p" },
  { "MiXeD", "%u+" }, { "MiXeD", "%l+" }, { "0x1F", "%x+" }, { "a\0b", "%z" },
  { "abc", "[abc]+" }, { "abc", "[^abc]" }, { "a-z", "[a%-z]+" },
  { "a]b", "[]]" }, { "a]b", "[^]]+" }, { "a-b", "[-]" }, { "abc", "[a-]" },
  { "x^y", "[%^]" }, { "x^y", "^x" }, { "x^y", "x^" }, { "a$b", "a$b" },
  { "a$", "a%$" }, { "hello", "h", 2 }, { "hello", "l", -2 }, { "hello", "l", -10 },
  { "hello", "", 10 }, { "hello", "o", 10 }, { "hello", "^l", 3 },
  { "one two  three", "%s+", nil, " " }, { "hello world", "o", nil, "0" },
  { "hello world", "(o)", nil, "[%1]" }, { "hello world", "l+", nil, "<%0>" },
  { "hello", "", nil, "-" }, { "abc", "%w", nil, "%%" }, { "abc", "b*", nil, "X" },
  { "abc", "^a", nil, "X" }, { "abc", "^", nil, "X" }, { "abc", "$", nil, "X" },
  { "a.b", "%.", nil, "%." }, { "x = 1, y = 2", "(%w+) = (%w+)", nil, "%2 = %1" },
  { "price: 10", "%d+", nil, 20 }, { "aaa", "a", nil, "b", 2 },
  { "hello", "()", nil, "%1" },
  -- errors
  { "x", "%" }, { "x", "[a" }, { "x", "(x" }, { "x", "x)" }, { "x", "%1" },
  { "x", "%f" }, { "x", "%b" }, { "x", "(()" }, { "x", "[%" },
}

local function show(v)
  if type(v) ~= "string" then return tostring(v) end
  local out = {}
  for i = 1, #v do
    local b = string.byte(v, i)
    if b < 32 or b > 126 or b == 34 or b == 92 then
      out[#out + 1] = "\\" .. b
    else
      out[#out + 1] = string.char(b)
    end
  end
  return '"' .. table.concat(out) .. '"'
end

local function pack(...)
  local t = { n = select("#", ...) }
  for i = 1, t.n do t[i] = show((select(i, ...))) end
  return table.concat(t, " ")
end

-- strip removes the position an error message may start with.
local function strip(msg)
  msg = tostring(msg)
  local at = string.find(msg, ".lua:", 1, true)
  if at then
    local colon = string.find(msg, ": ", at, true)
    if colon then msg = string.sub(msg, colon + 2) end
  end
  return msg
end

local function result(ok, ...)
  if not ok then return "error " .. strip((...)) end
  return pack(...)
end

local function try(f, ...) return result(pcall(f, ...)) end

-- matches lists what gmatch yields (two values of each, at most 20).
local function matches(s, p)
  local ok, all = pcall(function()
    local all = {}
    for a, b in string.gmatch(s, p) do
      all[#all + 1] = pack(a, b)
      if #all > 20 then break end
    end
    return all
  end)
  if not ok then return "error " .. strip(all) end
  return table.concat(all, " | ")
end

function run()
  local lines = {}
  for i, c in ipairs(cases) do
    local s, p, init, repl, n = c[1], c[2], c[3], c[4], c[5]
    local line = { show(s) .. " " .. show(p) }
    line[#line + 1] = "  find: " .. try(string.find, s, p, init)
    line[#line + 1] = "  match: " .. try(string.match, s, p, init)
    line[#line + 1] = "  gmatch: " .. matches(s, p)
    if repl ~= nil then
      line[#line + 1] = "  gsub: " .. try(string.gsub, s, p, repl, n)
    end
    lines[#lines + 1] = table.concat(line, "\n")
  end
  -- replacements by table and function
  lines[#lines + 1] = "gsub table: " .. try(string.gsub, "a b c", "%a", { a = "1", b = false })
  lines[#lines + 1] = "gsub function: " .. try(string.gsub, "k1=v1, k2=v2", "(%w+)=(%w+)", function(k, v) return v .. k end)
  lines[#lines + 1] = "gsub function nil: " .. try(string.gsub, "abc", "%w", function(c) if c == "b" then return "B" end end)
  lines[#lines + 1] = "gsub bad value: " .. try(string.gsub, "abc", "%w", function(c) return {} end)
  lines[#lines + 1] = "plain find: " .. try(string.find, "a.b", ".", 1, true)
  return table.concat(lines, "\n") .. "\n"
end

if arg then io.write(run()) end
