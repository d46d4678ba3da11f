-- want: error
-- error: stack overflow
function f(ctx)
  local function down(n) return 1 + down(n + 1) end
  return down(1)
end
