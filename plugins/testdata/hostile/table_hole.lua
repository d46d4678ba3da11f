-- want: memory
-- error: memory limit of 16 MiB exceeded
-- line: 7
-- gopher-lua fills an array with nil up to an integer key: 60M slots.
function f(ctx)
  local t = {}
  t[60000000] = 1
end
