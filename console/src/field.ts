import { api, explain, type Schemas } from "./api/client";

/** What a field page opened from a link works with: its round (the link's,
 * or the community's latest) and what the caller may do there. */
export async function fieldOf(community: string, roundId: string): Promise<{ roundId: string; field?: Schemas["FieldView"]; problem?: string }> {
  if (!roundId) {
    const rounds = await api.GET("/v1/communities/{communityId}/rounds", { params: { path: { communityId: community } } });
    roundId = rounds.data?.rounds[0]?.id ?? "";
  }
  if (!roundId) return { roundId, problem: "没有进行中的检测轮次" };
  const { data, error } = await api.GET("/v1/rounds/{roundId}/field", { params: { path: { roundId } } });
  if (error) return { roundId, problem: explain(error) };
  return { roundId, field: data };
}
