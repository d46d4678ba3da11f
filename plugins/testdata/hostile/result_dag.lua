-- want: result
-- error: more than 100000 values
-- 2^40 values once the shared tables are expanded.
function f(ctx)
  local t = {}
  for i = 1, 40 do t = { t, t } end
  return t
end
