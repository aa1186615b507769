import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/**
 * Builds the `Upstash-Signature` JWT: HS256 keyed with the UTF-8 bytes of the signing key, claims iss/sub/
 * iat/nbf/exp/jti and `body` = base64url(sha256(body)). Times are REAL time (not the virtual clock) so the
 * SDK's Receiver accepts them.
 */
export async function signDelivery(signingKey: string, url: string, body: Uint8Array): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const bodyHash = createHash("sha256").update(body).digest("base64url");
  return new SignJWT({ body: bodyHash })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 300)
    .setJti(`jwt_${randomBytes(12).toString("hex")}`)
    .sign(new TextEncoder().encode(signingKey));
}
