-- want: memory
-- error: memory limit of 16 MiB exceeded
function f(ctx)
  local s, kept = string.rep("é", 512 * 1024), {}
  while true do
    kept[#kept + 1] = s:upper()
    kept[#kept + 1] = s:reverse()
  end
end
